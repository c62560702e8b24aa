/**
 * Network faults between rivet and its source (PostgreSQL, MariaDB), made by Toxiproxy, on an
 * incremental export to a local directory. Latency and a 1 MB/s link only slow a run: it
 * completes with the bytes of a run without them. A connection lost mid-stream (cut after some
 * bytes, or the server gone for 3 s) fails the run with exit 3 and one line: no part or
 * temporary file is left, and the state is byte-for-byte what it was. A server down or silent
 * before the run fails it with exit 3 within the connect timeout (10 s). SIGTERM while the server
 * has stopped answering mid-stream still ends the run (exit 130) within seconds.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { manifestSchema } from '../../src/pipeline/manifest.ts'
import { startRivet, waitFor } from '../helpers/background.ts'
import { errorLines, rivet } from '../helpers/cli.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { Proxy } from '../helpers/toxiproxy.ts'

interface Engine {
  name: string
  upstream: string
  /** The source block for a server at `address`. */
  source(address: string): string
  /** Rows 1..${n} of (i, md5 of i), for an incremental export on i. */
  query: string
}

const engines: Engine[] = [
  {
    name: 'PostgreSQL',
    upstream: '127.0.0.1:5432',
    source: (address) => `{ type: postgres, url: "postgres://postgres@${address}/test" }`,
    query: 'select i, md5(i::text) as h from generate_series(1, ${n}) i',
  },
  {
    name: 'MariaDB',
    upstream: '127.0.0.1:3306',
    source: (address) => `{ type: mysql, url: "mysql://root@${address}/test" }`,
    query: 'select seq as i, md5(seq) as h from seq_1_to_${n}',
  },
]

/** Rows of the runs that complete: ~800 KB of CSV. */
const ROWS = 20_000
/** Rows of the runs that lose their connection: ~2 MB, far past the byte limit of the cut. */
const MANY = 50_000

function config(engine: Engine, address: string, dir = tempDir()): string {
  return writeConfig(
    dir,
    `source: ${engine.source(address)}\ndestination: { type: local, path: ./out }\nexports:\n` +
      `  - name: r\n    format: csv\n    mode: incremental\n    cursor_column: i\n    query: "${engine.query}"\n`,
  )
}

/** The parts of the committed run `runId` under the config's directory, concatenated. */
function exported(file: string, runId: string): string {
  const base = join(file, '..', 'out', 'r')
  const manifest = manifestSchema.parse(
    JSON.parse(readFileSync(join(base, '_rivet', 'runs', `${runId}.json`), 'utf8')),
  )
  expect(manifest.rows).toBe(ROWS)
  return manifest.parts.map((p) => readFileSync(join(base, p.path), 'utf8')).join('')
}

describe.each(engines)('$name behind Toxiproxy', (engine) => {
  let proxy: Proxy
  /** What a run without faults writes. */
  let baseline = ''

  beforeAll(async () => {
    proxy = await Proxy.create(`rivet-${engine.name}`, engine.upstream)
    const file = config(engine, engine.upstream)
    const result = await rivet(['run', '-c', file, '-p', `n=${ROWS}`, '--json'])
    expect(result.code).toBe(0)
    baseline = exported(file, JSON.parse(result.stdout).exports[0].run_id)
    expect(baseline.split('\r\n').length).toBe(ROWS + 2)
  })
  afterAll(() => proxy.delete())

  /** Runs the export of ROWS rows through the proxy with `fault` on; returns the run and its time. */
  async function slowed(fault: () => Promise<unknown>) {
    await proxy.reset()
    const file = config(engine, proxy.address)
    await fault()
    const started = Date.now()
    const result = await rivet(['run', '-c', file, '-p', `n=${ROWS}`, '--json'])
    const ms = Date.now() - started
    await proxy.reset()
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    expect(exported(file, JSON.parse(result.stdout).exports[0].run_id)).toBe(baseline)
    return ms
  }

  test('200 ms latency each way: completes with the same bytes', async () => {
    await slowed(async () => {
      await proxy.toxic('latency', { latency: 200 }, 'downstream')
      await proxy.toxic('latency', { latency: 200 }, 'upstream')
    })
  }, 60_000)

  test('1 MB/s from the server: completes with the same bytes', async () => {
    const ms = await slowed(() => proxy.toxic('bandwidth', { rate: 1024 }, 'downstream'))
    // ~800 KB of rows (more on the wire) at 1 MB/s.
    expect(ms).toBeGreaterThan(700)
  }, 60_000)

  /**
   * A first run commits rows 1..1000 (cursor and state); then a run of MANY rows meets `fault`.
   * It must exit 3 with one line, leave the files and the state as they were, and the next run
   * without the fault must export exactly the rows after the cursor.
   */
  async function lost(fault: (dir: string, run: ReturnType<typeof startRivet>) => Promise<void>, exit = 3) {
    await proxy.reset()
    const dir = tempDir()
    const file = config(engine, proxy.address, dir)
    expect((await rivet(['run', '-c', file, '-p', 'n=1000'])).code).toBe(0)
    const stateFile = join(dir, '.rivet', 'r.json')
    const state = readFileSync(stateFile, 'utf8')
    const files = listFiles(join(dir, 'out'))
    const run = startRivet(['run', '-c', file, '-p', `n=${MANY}`])
    try {
      await fault(dir, run)
    } finally {
      await proxy.reset()
    }
    const { code, stderr } = await run.exited
    expect(code).toBe(exit)
    const errors = errorLines(stderr)
    expect(errors).toHaveLength(1)
    expect(errors[0].exit).toBe(exit)
    expect(errors[0].msg).not.toContain('\n')
    expect(listFiles(join(dir, 'out'))).toEqual(files)
    expect(readFileSync(stateFile, 'utf8')).toBe(state)

    const next = await rivet(['run', '-c', file, '-p', `n=${MANY}`, '--json'])
    expect(next.code).toBe(0)
    expect(JSON.parse(next.stdout).exports[0].rows).toBe(MANY - 1000)
    return errors[0].msg
  }

  test('connection cut mid-stream: exit 3, nothing visible, state unchanged', async () => {
    const message = await lost(async (_dir, run) => {
      // The server's answers stop after 200 KB: the connection closes mid-stream.
      await proxy.toxic('limit_data', { bytes: 200_000 }, 'downstream')
      await run.exited
    })
    expect(message).toMatch(/source|connection|closed|lost|reset/i)
  }, 60_000)

  test('server down for 3 s mid-stream: exit 3, nothing visible, state unchanged', async () => {
    await lost(async (dir, run) => {
      // Slowed so the stream is under way, and still going, when the server goes.
      await proxy.toxic('bandwidth', { rate: 256 }, 'downstream')
      await waitFor(() => listFiles(join(dir, 'out')).some((f) => f.endsWith('.tmp')), run)
      await proxy.setEnabled(false)
      expect(run.done()).toBe(false)
      await Bun.sleep(3000)
    })
  }, 60_000)

  test('SIGTERM while the server has stopped answering mid-stream: exit 130 within 15 s', async () => {
    await lost(async (dir, run) => {
      await proxy.toxic('bandwidth', { rate: 256 }, 'downstream')
      await waitFor(() => listFiles(join(dir, 'out')).some((f) => f.endsWith('.tmp')), run)
      // Data is swallowed and the connection kept open: the cancel is never answered.
      await proxy.toxic('timeout', { timeout: 0 }, 'downstream')
      await Bun.sleep(300)
      const signalled = Date.now()
      process.kill(run.pid, 'SIGTERM')
      await run.exited
      // At most the 5 s wait for the cancelled stream and the 5 s given to close the connection.
      expect(Date.now() - signalled).toBeLessThan(15_000)
    }, 130)
  }, 60_000)

  /** Runs the export with `fault` on from the start; checks exit 3, one line, nothing written. */
  async function refused(fault: () => Promise<unknown>) {
    await proxy.reset()
    const dir = tempDir()
    const file = config(engine, proxy.address, dir)
    await fault()
    const started = Date.now()
    const result = await rivet(['run', '-c', file, '-p', `n=${ROWS}`, '--json'])
    const ms = Date.now() - started
    await proxy.reset()
    expect(result.code).toBe(3)
    const errors = errorLines(result.stderr)
    expect(errors).toHaveLength(1)
    expect(errors[0].msg).toContain(proxy.address.split(':')[1])
    expect(JSON.parse(result.stdout).error.exit).toBe(3)
    expect(existsSync(join(dir, 'out', 'r', '_rivet'))).toBe(false)
    expect(existsSync(join(dir, '.rivet', 'r.json'))).toBe(false)
    return ms
  }

  test('down before the run: exit 3 with one line at once', async () => {
    expect(await refused(() => proxy.setEnabled(false))).toBeLessThan(5_000)
  }, 60_000)

  test('a server that never answers: exit 3 within the 10 s connect timeout', async () => {
    const ms = await refused(() => proxy.toxic('timeout', { timeout: 0 }, 'downstream'))
    expect(ms).toBeGreaterThan(9_000)
    expect(ms).toBeLessThan(15_000)
  }, 60_000)
})
