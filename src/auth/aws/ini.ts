/**
 * The INI dialect of ~/.aws/config and ~/.aws/credentials: `[section]` headers, `key = value`
 * lines, `#` and `;` comment lines, and indented sub-settings under a key with no value
 * (`s3 =` then `  addressing_style = path`), kept as `s3.addressing_style`. Keys are compared
 * case-insensitively, as the AWS CLI does.
 */

/** The settings of one section. */
export type IniSection = Record<string, string>

/** Sections by their header text (`default`, `profile dev`, `sso-session corp`), in file order. */
export function parseIni(text: string): Map<string, IniSection> {
  const sections = new Map<string, IniSection>()
  let section: IniSection | undefined
  let parent: string | undefined
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim()
    if (!line || line.startsWith('#') || line.startsWith(';')) continue
    const header = /^\[\s*(.+?)\s*\]$/.exec(line)
    if (header) {
      const name = header[1].replace(/\s+/g, ' ')
      // A repeated header adds to the section, as the AWS CLI merges them.
      section = sections.get(name) ?? {}
      sections.set(name, section)
      parent = undefined
      continue
    }
    const eq = line.indexOf('=')
    if (!section || eq <= 0) continue
    const key = line.slice(0, eq).trim().toLowerCase()
    const value = line.slice(eq + 1).trim()
    if (/^\s/.test(raw) && parent !== undefined) {
      section[`${parent}.${key}`] = value
    } else {
      section[key] = value
      parent = value === '' ? key : undefined
    }
  }
  return sections
}
