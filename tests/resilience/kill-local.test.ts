/**
 * SIGKILL at each commit step on the local filesystem. strace delays every rename (the step that
 * makes a part, a manifest or the state visible) by two seconds, a slow directory in effect; the
 * test kills rivet while the chosen step's temporary file waits to be renamed: the last part, the
 * manifest, or the state write that commits the cursor. Then: every part a manifest lists matches
 * its checksum, the cursor names a run with a manifest, the next run commits each row exactly once,
 * `rivet validate` passes, and `rivet gc --delete` leaves only the committed runs.
 */
import { describe, expect, test } from 'bun:test'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { manifestSchema } from '../../src/pipeline/manifest.ts'
import { rivet, ROOT } from '../helpers/cli.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { PG_URL } from '../helpers/pg.ts'

const QUERY = 'select i, md5(i::text) as h from generate_series(1, ${n}) i'

/** Which temporary file shows that rivet waits in the rename of the chosen step. */
const steps: { step: string; waiting: (dir: string) => boolean }[] = [
  {
    step: 'the last part',
    waiting: (dir) => listFiles(join(dir, 'out', 'k')).some((f) => /^\.k-.*\.csv\.[0-9a-f]+\.tmp$/.test(f)),
  },
  {
    step: 'the manifest',
    waiting: (dir) => listFiles(join(dir, 'out', 'k')).some((f) => /_rivet\/runs\/\..*\.tmp$/.test(f)),
  },
  {
    // After the manifest, the state write that turns the claim into the cursor.
    step: 'the state commit',
    waiting: (dir) =>
      readdirSync(join(dir, 'out', 'k', '_rivet', 'runs')).filter((f) => f.endsWith('.json')).length === 2 &&
      readdirSync(join(dir, '.rivet')).some((f) => f.endsWith('.tmp')),
  },
]

/** The manifests of the committed runs. */
function manifests(dir: string) {
  const runs = join(dir, 'out', 'k', '_rivet', 'runs')
  return readdirSync(runs).filter((f) => f.endsWith('.json')).map((f) =>
    manifestSchema.parse(JSON.parse(readFileSync(join(runs, f), 'utf8')))
  )
}

describe('SIGKILL at a commit step on the local filesystem', () => {
  test.each(steps)(
    'held at $step: nothing lost, nothing twice, validate and gc clean',
    async ({ waiting }) => {
      const dir = tempDir()
      const file = writeConfig(
        dir,
        `source: { type: postgres, url: "${PG_URL}" }\ndestination: { type: local, path: ./out }\n` +
          `exports:\n  - name: k\n    format: csv\n    mode: incremental\n    cursor_column: i\n    query: "${QUERY}"\n`,
      )
      expect((await rivet(['run', '-c', file, '-p', 'n=1000'])).code).toBe(0)

      // strace -f delays every rename of rivet and its threads by 2 s.
      const traced = spawn('strace', [
        '-f',
        '-qq',
        '-o',
        '/dev/null',
        '-e',
        'trace=rename,renameat,renameat2',
        '-e',
        'inject=rename,renameat,renameat2:delay_enter=2000000',
        join(ROOT, 'dist', 'rivet'),
        'run',
        '-c',
        file,
        '-p',
        'n=3000',
      ], { stdio: 'ignore' })
      const exited = new Promise((resolve) => traced.on('close', resolve))
      const deadline = Date.now() + 30_000
      while (!waiting(dir) && Date.now() < deadline) await Bun.sleep(10)
      expect(waiting(dir)).toBe(true)
      // Kill rivet itself (the child strace runs), then strace.
      spawn('pkill', ['-KILL', '-P', String(traced.pid)])
      await Bun.sleep(100)
      traced.kill('SIGKILL')
      await exited

      for (const manifest of manifests(dir)) {
        for (const part of manifest.parts) {
          const bytes = readFileSync(join(dir, 'out', 'k', part.path))
          expect(createHash('sha256').update(bytes).digest('hex')).toBe(part.sha256)
        }
      }
      const state = JSON.parse(readFileSync(join(dir, '.rivet', 'k.json'), 'utf8'))
      expect(manifests(dir).map((m) => m.run_id)).toContain(state.cursor.run_id)

      const next = await rivet(['run', '-c', file, '-p', 'n=3000'])
      expect(next.stderr).not.toContain('"level":"error"')
      expect(next.code).toBe(0)
      const ids: number[] = []
      for (const manifest of manifests(dir)) {
        for (const part of manifest.parts) {
          const lines = readFileSync(join(dir, 'out', 'k', part.path), 'utf8').split('\r\n')
          for (const line of lines.slice(1, -1)) ids.push(Number(line.split(',')[0]))
        }
      }
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1))
      expect((await rivet(['validate', '-c', file, '-p', 'n=0'])).code).toBe(0)

      const gc = await rivet(['gc', '-c', file, '-p', 'n=0', '--older-than', '0s', '--delete'])
      expect(gc.code).toBe(0)
      const committed = manifests(dir).flatMap((m) => [
        `_rivet/runs/${m.run_id}.json`,
        ...m.parts.map((p) => p.path),
      ])
      expect(listFiles(join(dir, 'out', 'k'))).toEqual(committed.sort())
      expect(existsSync(join(dir, '.rivet', 'k.json'))).toBe(true)
    },
    60_000,
  )
})
