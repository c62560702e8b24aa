/**
 * `${NAME}` substitution: from `-p NAME=value` first, then the environment. `$${` writes a
 * literal `${`. An unresolved name is an error that names it.
 */

const pattern = /\$(\$?)\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/** Lookup for variables: parameters first, then the environment. */
export type Variables = (name: string) => string | undefined

/** Replaces every `${NAME}` in `text`; returns the names that could not be resolved instead. */
export function substitute(text: string, vars: Variables): { value: string; missing: string[] } {
  const missing: string[] = []
  const value = text.replace(pattern, (whole, escape: string, name: string) => {
    if (escape) return whole.slice(1)
    const found = vars(name)
    if (found === undefined) missing.push(name)
    return found ?? whole
  })
  return { value, missing }
}
