/**
 * A chunked export whose source connection is lost mid-run (Toxiproxy takes the server away for
 * a second) reads the chunk again on a new connection, up to `chunk_max_attempts` (default 3):
 * the run ends with exit 0 and every row in the committed parts exactly once. With one attempt,
 * the run fails with exit 3, keeps the chunks it committed and names `--resume`, which then
 * exports the rest, each row once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { manifestSchema } from '../../src/pipeline/manifest.ts'
import { startRivet, waitFor } from '../helpers/background.ts'
import { errorLines, rivet } from '../helpers/cli.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { Proxy } from '../helpers/toxiproxy.ts'

const ROWS = 40_000

const engines = [
  {
    name: 'PostgreSQL',
    upstream: '127.0.0.1:5432',
    source: (address: string) => `{ type: postgres, url: "postgres://postgres@${address}/test" }`,
    query: `select i, md5(i::text) as h from generate_series(1, ${ROWS}) i`,
  },
  {
    name: 'MariaDB',
    upstream: '127.0.0.1:3306',
    source: (address: string) => `{ type: mysql, url: "mysql://root@${address}/test" }`,
    query: `select seq as i, md5(seq) as h from seq_1_to_${ROWS}`,
  },
]

describe.each(engines)('$name: chunks on a lost connection', (engine) => {
  let proxy: Proxy
  beforeAll(async () => {
    proxy = await Proxy.create(`rivet-chunks-${engine.name}`, engine.upstream)
  })
  afterAll(() => proxy.delete())

  function config(dir: string, attempts?: number): string {
    return writeConfig(
      dir,
      `source: ${engine.source(proxy.address)}\ndestination: { type: local, path: ./out }\nexports:\n` +
        `  - name: c\n    format: csv\n    mode: chunked\n    chunk_column: i\n    chunk_size: 2000\n    parallel: 2\n` +
        (attempts ? `    chunk_max_attempts: ${attempts}\n` : '') +
        `    query: "${engine.query}"\n`,
    )
  }

  /** Starts the export slowed down, and takes the server away for a second once a chunk is written. */
  async function interrupted(dir: string, attempts?: number) {
    await proxy.reset()
    await proxy.toxic('bandwidth', { rate: 128 }, 'downstream')
    const run = startRivet(['run', '-c', config(dir, attempts), '--json', '--log-level', 'info'])
    await waitFor(() => listFiles(join(dir, 'out')).some((f) => f.endsWith('.csv')), run)
    await proxy.setEnabled(false)
    await Bun.sleep(1000)
    await proxy.reset()
    return await run.exited
  }

  /** Every id of every committed run of the export, from the manifests' parts. */
  function committedIds(dir: string): number[] {
    const base = join(dir, 'out', 'c')
    const ids: number[] = []
    for (const file of listFiles(join(base, '_rivet', 'runs'))) {
      const manifest = manifestSchema.parse(
        JSON.parse(readFileSync(join(base, '_rivet', 'runs', file), 'utf8')),
      )
      for (const part of manifest.parts) {
        const lines = readFileSync(join(base, part.path), 'utf8').trimEnd().split('\r\n').slice(1)
        ids.push(...lines.map((l) => Number(l.split(',')[0])))
      }
    }
    return ids.sort((a, b) => a - b)
  }

  test('the chunk is read again on a new connection: exit 0, every row once', async () => {
    const dir = tempDir()
    const { code, stderr } = await interrupted(dir)
    expect(errorLines(stderr)).toEqual([])
    expect(code).toBe(0)
    const retries = stderr.split('\n').filter((l) => l.includes('trying again on a new connection'))
    expect(retries.length).toBeGreaterThan(0)
    expect(JSON.parse(retries[0])).toMatchObject({ level: 'warn' })
    expect(committedIds(dir)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1))
    expect(listFiles(join(dir, 'out')).filter((f) => f.endsWith('.tmp'))).toEqual([])
  }, 60_000)

  test('chunk_max_attempts: 1 fails with exit 3 naming --resume, which exports the rest once', async () => {
    const dir = tempDir()
    const { code, stderr } = await interrupted(dir, 1)
    expect(code).toBe(3)
    const errors = errorLines(stderr)
    expect(errors).toHaveLength(1)
    expect(errors[0].msg).toMatch(/chunks are committed: rivet run -e c --resume exports the rest$/)
    const resumed = await rivet(['run', '-c', join(dir, 'rivet.yaml'), '--resume', '--json'])
    expect(resumed.code).toBe(0)
    expect(committedIds(dir)).toEqual(Array.from({ length: ROWS }, (_, i) => i + 1))
  }, 60_000)
})
