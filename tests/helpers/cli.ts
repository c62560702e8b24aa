/**
 * Runs the rivet CLI as a user would: a separate process under Bun, Deno, or the compiled
 * binary. Everything a run prints is also appended to the capture log the secret scan reads.
 */
import { expect } from 'bun:test'
import { spawn } from 'node:child_process'
import { appendFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Which way to start rivet. */
export type Runtime = 'bun' | 'deno' | 'binary'

/** The repository root. */
export const ROOT = join(import.meta.dir, '..', '..')

/** What a CLI run did. */
export interface CliResult {
  code: number
  stdout: string
  stderr: string
  /** Peak resident set size of the rivet process (VmHWM), sampled while it ran. */
  peakKb: number
}

/** Where every captured output goes, for tests/security/secret-scan.test.ts. */
export const CAPTURE_LOG = process.env.RIVET_CAPTURE_LOG ?? join(ROOT, '.test-capture.log')

function command(runtime: Runtime): string[] {
  const bin = join(ROOT, 'node_modules', '.bin')
  if (runtime === 'bun') return [process.execPath, join(ROOT, 'mod.ts')]
  if (runtime === 'deno') return [join(bin, 'deno'), 'run', '-A', '--quiet', join(ROOT, 'mod.ts')]
  return [join(ROOT, 'dist', 'rivet')]
}

/** Runs rivet with `args`; resolves when it exits. Never throws on a non-zero exit. */
export function rivet(
  args: string[],
  options: { runtime?: Runtime; env?: Record<string, string | undefined>; cwd?: string; stdin?: string } = {},
): Promise<CliResult> {
  const [cmd, ...pre] = command(options.runtime ?? 'bun')
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...pre, ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, RIVET_LOG_LEVEL: undefined, NO_COLOR: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout.on('data', (d) => out.push(d))
    child.stderr.on('data', (d) => err.push(d))
    child.on('error', reject)
    child.stdin.end(options.stdin ?? '')
    let peakKb = 0
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
        if (m) peakKb = Math.max(peakKb, Number(m[1]))
      } catch {
        // The process exited between samples.
      }
    }
    const timer = setInterval(sample, 20)
    child.on('close', (code) => {
      clearInterval(timer)
      const result = {
        code: code ?? -1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        peakKb,
      }
      // Only the command name: the test's own arguments may carry the secrets it planted.
      appendFileSync(CAPTURE_LOG, `\n=== rivet ${args[0] ?? ''}\n${result.stdout}\n${result.stderr}`)
      resolve(result)
    })
  })
}

/** The error lines rivet logged (JSON log format, the default when stderr is not a TTY). */
export function errorLines(stderr: string): { msg: string; code?: string; exit?: number }[] {
  return stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).filter((l) =>
    l.level === 'error'
  )
}

/** The error a failed run must report. */
export interface ExpectedError {
  exit: number
  code: string
  message: RegExp
}

/**
 * Checks a run started with `--json` that was to fail: its exit code, exactly one error line with
 * that code and exit and a one-line message matching `expected.message`, and the same error in
 * the JSON document on stdout. Returns that document, for the checks only some suites make.
 */
export function expectRunError(result: CliResult, expected: ExpectedError): Record<string, unknown> {
  expect(result.code).toBe(expected.exit)
  const errors = errorLines(result.stderr)
  expect(errors).toHaveLength(1)
  expect(errors[0]).toMatchObject({ code: expected.code, exit: expected.exit })
  expect(errors[0].msg).toMatch(expected.message)
  expect(errors[0].msg).not.toContain('\n')
  const doc = JSON.parse(result.stdout)
  expect(doc.error).toEqual({ code: expected.code, exit: expected.exit, message: errors[0].msg })
  return doc
}
