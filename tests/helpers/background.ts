/**
 * Runs rivet in the background for the tests that kill it or break its network mid-run: the
 * process, its exit code and stderr when it ends, and polling for a condition meanwhile.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { ROOT } from './cli.ts'

/** A rivet process running in the background. */
export interface Background {
  pid: number
  /** Resolves when it exits: its code (null when killed by a signal) and stderr. */
  exited: Promise<{ code: number | null; stderr: string }>
  /** True once it has exited. */
  done(): boolean
}

/** Starts `rivet <args>` under Bun with `env` added. */
export function startRivet(args: string[], env: Record<string, string> = {}): Background {
  const child = spawn(process.execPath, [join(ROOT, 'mod.ts'), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, RIVET_LOG_LEVEL: undefined, ...env },
  })
  const err: Buffer[] = []
  child.stderr!.on('data', (d) => err.push(d))
  let finished = false
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      finished = true
      resolve({ code, stderr: Buffer.concat(err).toString('utf8') })
    })
  )
  return { pid: child.pid!, exited, done: () => finished }
}

/**
 * Polls `condition` every 20 ms until it holds; throws after `timeoutMs`, or when `run` ends
 * first (the moment the test waited for never came).
 */
export async function waitFor(
  condition: () => Promise<boolean> | boolean,
  run: Background,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return
    if (run.done()) throw new Error(`rivet ended before the condition held: ${(await run.exited).stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`condition not met within ${timeoutMs} ms`)
}
