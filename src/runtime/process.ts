/** The process: arguments, environment, exit and signals, the same on Bun and Deno. */
import process from 'node:process'

/** Command-line arguments after the script (or the compiled binary). */
export function args(): string[] {
  return process.argv.slice(2)
}

/** Reads an environment variable. */
export function env(name: string): string | undefined {
  return process.env[name]
}

/** Ends the process with `code`. */
export function exit(code: number): never {
  process.exit(code)
}

/** Which runtime runs rivet, for `--version` and manifests. */
export function runtimeName(): string {
  const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } }
  if (g.Bun) return `bun ${g.Bun.version}`
  if (g.Deno) return `deno ${g.Deno.version.deno}`
  return `node ${process.version}`
}

/**
 * Calls `handler` once on the first SIGINT or SIGTERM. Returns a function that removes it.
 * A second signal while the handler runs ends the process at once.
 */
export function onInterrupt(handler: (signal: string) => void): () => void {
  let fired = false
  const listener = (signal: string) => {
    if (fired) exit(130)
    fired = true
    handler(signal)
  }
  process.on('SIGINT', listener)
  process.on('SIGTERM', listener)
  return () => {
    process.off('SIGINT', listener)
    process.off('SIGTERM', listener)
  }
}
