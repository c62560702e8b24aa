/**
 * `rivet history`: committed and quality-failed runs, newest first, from the manifests at the
 * destination (a local directory, and MinIO read from a second config with no local state).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { historyDocumentSchema } from '../../src/cli/documents.ts'
import { rivet } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import { PG_URL, pgExec, pgToLocal } from '../helpers/pg.ts'
import { MINIO, MINIO_ENV, newBucket } from '../helpers/s3.ts'

beforeAll(async () => {
  await pgExec(`drop table if exists rivet_history;
    create table rivet_history (id int); insert into rivet_history select generate_series(1, 30);`)
})

const EXPORTS =
  'exports:\n  - name: h\n    table: public.rivet_history\n    quality:\n      row_count_max: 40\n' +
  '  - { name: other, query: "select 1 as one" }\n'

describe('rivet history', () => {
  test('local: two committed runs and a failed one, newest first; --limit, -e, text', async () => {
    const { file } = pgToLocal(EXPORTS)
    const ids: string[] = []
    for (const last of [false, false, true]) {
      // 50 rows break row_count_max: 40.
      if (last) await pgExec('insert into rivet_history select generate_series(31, 50)')
      const run = await rivet(['run', '-c', file, '-e', 'h', '--json'])
      expect(run.code).toBe(last ? 6 : 0)
      ids.push(
        JSON.parse(run.stdout).exports[0]?.run_id ??
          JSON.parse(run.stdout).error.message.match(/run (\S+)/)[1],
      )
    }
    const result = await rivet(['history', '-c', file, '--json'], { runtime: 'deno' })
    expect(result.code).toBe(0)
    const document = historyDocumentSchema.parse(JSON.parse(result.stdout))
    expect(document.exports.map((e) => [e.name, e.runs.length])).toEqual([['h', 3], ['other', 0]])
    const runs = document.exports[0].runs
    expect(runs.map((r) => r.run_id)).toEqual(ids.toReversed())
    expect(runs.map((r) => r.status)).toEqual(['failed', 'succeeded', 'succeeded'])
    expect(runs.map((r) => [r.rows, r.parts, r.mode])).toEqual([[50, 1, 'full'], [30, 1, 'full'], [
      30,
      1,
      'full',
    ]])
    expect(runs[0].failures).toEqual([expect.stringContaining('row_count_max')])
    expect(runs[1].failures).toEqual([])
    expect(runs[1].bytes).toBeGreaterThan(100)
    expect(runs[1].duration_s).toBeGreaterThanOrEqual(0)
    expect(runs[1].duration_s).toBeLessThan(30)

    const limited = await rivet(['history', '-c', file, '-e', 'h', '--limit', '2', '--json'])
    expect(JSON.parse(limited.stdout).exports[0].runs.map((r: { run_id: string }) => r.run_id)).toEqual(
      ids.toReversed().slice(0, 2),
    )
    const text = await rivet(['history', '-c', file, '-e', 'h'], { runtime: 'binary' })
    const lines = text.stdout.trim().split('\n')
    expect(lines[0]).toStartWith('h (')
    expect(lines[1].split(/\s+/).filter(Boolean)).toEqual([
      'RUN',
      'STARTED',
      'TOOK',
      'MODE',
      'ROWS',
      'BYTES',
      'PARTS',
      'STATUS',
    ])
    expect(lines[2]).toContain(ids[2])
    expect(lines[2]).toContain('failed: ')
    expect(lines).toHaveLength(5)

    const bad = await rivet(['history', '-c', file, '--limit', '0'])
    expect(bad.code).toBe(2)
  })

  test('MinIO: another config with no state of its own reads the same history', async () => {
    const bucket = await newBucket()
    const destination = `{ type: s3, bucket: ${bucket}, prefix: lake/, endpoint: "${MINIO.endpoint}", ` +
      'access_key_env: RIVET_S3_KEY, secret_key_env: RIVET_S3_SECRET }'
    const write = writeConfig(
      tempDir(),
      `source: { type: postgres, url: "${PG_URL}" }\ndestination: ${destination}\n${EXPORTS}`,
    )
    const run = await rivet(['run', '-c', write, '-e', 'other', '--json'], { env: MINIO_ENV })
    expect(run.code).toBe(0)
    const read = writeConfig(
      tempDir(),
      `source: { type: postgres, url: "${PG_URL}" }\ndestination: ${destination}\n${EXPORTS}`,
    )
    const result = await rivet(['history', '-c', read, '-e', 'other', '--json'], { env: MINIO_ENV })
    expect(result.code).toBe(0)
    const [h] = JSON.parse(result.stdout).exports
    expect(h.runs.map((r: { run_id: string; rows: number }) => [r.run_id, r.rows])).toEqual([
      [JSON.parse(run.stdout).exports[0].run_id, 1],
    ])
    expect(h.location).toContain(bucket)
  })
})
