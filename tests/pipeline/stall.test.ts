/**
 * `stall_timeout`: a source query that sleeps mid-result fails the export with exit 3 naming the
 * source, and MinIO behind Toxiproxy that stops answering mid-run fails it with exit 5 naming the
 * destination; both within a few seconds of the 2 s timeout, with no manifest and the state as
 * it was.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { startRivet, waitFor } from '../helpers/background.ts'
import { errorLines, rivet } from '../helpers/cli.ts'
import { objectStoreConfig } from '../helpers/cloud-export.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import { PG_URL } from '../helpers/pg.ts'
import { listKeys, MINIO_ENV, newBucket } from '../helpers/s3.ts'
import { Proxy } from '../helpers/toxiproxy.ts'

// 20,000 rows; row 12,000 waits 30 s: the first batches are written before the source stalls.
const SLEEPY =
  'select i, repeat(md5(i::text), 4) as pad, case when i = 12000 then pg_sleep(30)::text end as z ' +
  'from generate_series(1, 20000) i'

describe('stall_timeout', () => {
  test('a source that stops sending rows: exit 3 naming the source, nothing committed (binary)', async () => {
    const dir = tempDir()
    const out = join(dir, 'out')
    const file = writeConfig(
      dir,
      `source: { type: postgres, url: "${PG_URL}" }\ndestination: { type: local, path: ${out} }\nexports:\n` +
        `  - { name: s, query: "${SLEEPY}", format: csv, max_file_size: 64KB, stall_timeout: 2 }\n`,
    )
    const started = Date.now()
    const result = await rivet(['run', '-c', file], { runtime: 'binary' })
    const seconds = (Date.now() - started) / 1000
    expect(result.code).toBe(3)
    const errors = errorLines(result.stderr)
    expect(errors).toHaveLength(1)
    expect(errors[0].msg).toStartWith('export s: the source sent no rows for 2 s (stall_timeout)')
    expect(errors[0].code).toBe('SOURCE_STALLED')
    // 2 s of stall, the source's close (up to 5 s while the query still sleeps), start-up.
    expect(seconds).toBeLessThan(12)
    expect(seconds).toBeGreaterThan(2)
    // The parts written before the stall were removed; no manifest, no state.
    const left = existsSync(join(out, 's')) ? readdirSync(join(out, 's'), { recursive: true }) : []
    expect(left.filter((f) => String(f).endsWith('.csv') || String(f).endsWith('.json'))).toEqual([])
    expect(existsSync(join(dir, '.rivet', 's.json'))).toBe(false)
  }, 30_000)

  describe('MinIO behind Toxiproxy', () => {
    let proxy: Proxy
    beforeAll(async () => {
      proxy = await Proxy.create('rivet-stall-minio', '127.0.0.1:9000')
    })
    afterAll(() => proxy.delete())

    test('a store that stops answering mid-run: exit 5 naming the destination, no manifest', async () => {
      const bucket = await newBucket()
      const dir = tempDir()
      const file = objectStoreConfig(
        dir,
        `  type: s3\n  bucket: ${bucket}\n  endpoint: http://${proxy.address}\n` +
          '  access_key_env: RIVET_S3_KEY\n  secret_key_env: RIVET_S3_SECRET\n',
        '  - name: d\n    query: "select i, repeat(md5(i::text), 8) as pad from generate_series(1, 400000) i"\n' +
          '    format: csv\n    max_file_size: 256KB\n    stall_timeout: 2\n',
      )
      const started = Date.now()
      const run = startRivet(['run', '-c', file], { ...MINIO_ENV })
      try {
        await waitFor(async () => (await listKeys(bucket)).some((k) => k.endsWith('.csv')), run, 30_000)
        // Data is swallowed and the connection held open: the store stops answering.
        await proxy.toxic('timeout', { timeout: 0 }, 'upstream')
        const { code, stderr } = await run.exited
        const seconds = (Date.now() - started) / 1000
        expect(code).toBe(5)
        const errors = errorLines(stderr)
        expect(errors).toHaveLength(1)
        expect(errors[0].msg).toStartWith('export d: the destination took no data for 2 s (stall_timeout)')
        expect(errors[0].code).toBe('DESTINATION_STALLED')
        // 2 s of stall and at most 2 s for a cleanup the stalled store does not answer.
        expect(seconds).toBeLessThan(15)
      } finally {
        await proxy.reset()
      }
      // No manifest: a part that went up before the stall, whose removal the stalled store did not
      // take, is listed by no committed manifest (readers ignore it; rivet gc removes it).
      const left = await listKeys(bucket)
      expect(left.filter((k) => k.includes('_rivet/'))).toEqual([])
      expect(left.every((k) => /^d\/d-\d{8}T\d{6}Z-[0-9a-f]{6}-\d{5}\.csv$/.test(k))).toBe(true)
      expect(existsSync(join(dir, '.rivet', 'd.json'))).toBe(false)
    }, 60_000)
  })
})
