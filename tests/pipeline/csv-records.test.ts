/**
 * When a run asks its source for CSV records instead of values (src/pipeline/run.ts): only for
 * CSV that no quality rule, cursor or partition reads. Each export runs against the real
 * PostgreSQL, and the files of the two paths are the same bytes.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/load.ts'
import { Logger } from '../../src/log/logger.ts'
import { runExport } from '../../src/pipeline/run.ts'
import { PostgresSource } from '../../src/sources/postgres/source.ts'
import type { ReadRequest } from '../../src/sources/source.ts'
import { rivet } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import { PG_CONNECTION, pgExec } from '../helpers/pg.ts'

const TABLE = 'rivet_csv_records'

beforeAll(() =>
  pgExec(`
    drop table if exists ${TABLE};
    create table ${TABLE} (id bigint, at timestamptz, ok bool, note text);
    insert into ${TABLE}
      select i, timestamptz '2026-01-01 00:00:00+00' + i * interval '1.5 second', i % 2 = 0,
             case when i % 5 = 0 then 'a, "b"' || chr(10) || 'c' when i % 7 = 0 then null else 'n' || i end
        from generate_series(1, 5000) i;
  `)
)

const source = new PostgresSource({ ...PG_CONNECTION })
afterAll(() => source.close())

// Every read the runs ask for, to see whether they asked for records.
const requests: ReadRequest[] = []
const read = source.read.bind(source)
source.read = (request, limits) => {
  requests.push(request)
  return read(request, limits)
}

const dir = tempDir()
const query = `select * from ${TABLE} order by id`
const loaded = parseConfig(
  `
source: { type: postgres, url: "postgres://postgres@127.0.0.1:5432/test" }
destination: { type: local, path: ${JSON.stringify(dir)} }
exports:
  - { name: plain, query: "${query}", format: csv }
  - { name: counted, query: "${query}", format: csv, quality: { row_count_min: 1 } }
  - { name: nulls, query: "${query}", format: csv, quality: { null_ratio_max: { note: 0.5 } } }
  - { name: unique, query: "${query}", format: csv, compression: gzip, quality: { unique_columns: [id] } }
  - { name: gzipped, query: "${query}", format: csv, compression: gzip }
  - { name: parquet, query: "${query}" }
  - { name: parted, query: "${query}", format: csv, partition_by: at, partition_granularity: day }
  - { name: cursor, table: ${TABLE}, format: csv, mode: incremental, cursor_column: id }
  - { name: chunks, table: ${TABLE}, format: csv, mode: chunked, chunk_column: id, chunk_size: 2000 }
`,
  join(dir, 'rivet.yaml'),
  () => undefined,
)

async function run(name: string): Promise<boolean[]> {
  const exp = loaded.config.exports.find((e) => e.name === name)!
  requests.length = 0
  await runExport(loaded, exp, source, new Logger('error'), new AbortController().signal, {
    resume: false,
    reconcile: false,
    openSource: () => Promise.resolve(source),
  })
  return requests.map((r) => r.csv === true)
}

/** The bytes of an export's one data file. */
function file(name: string): Buffer {
  const files = readdirSync(join(dir, name)).filter((f) => f.startsWith(name))
  expect(files).toHaveLength(1)
  return readFileSync(join(dir, name, files[0]))
}

describe('CSV records from the source', () => {
  test('asked for by CSV runs that read no value', async () => {
    expect(await run('plain')).toEqual([true])
    expect(await run('counted')).toEqual([true])
    expect(await run('gzipped')).toEqual([true])
    expect(await run('chunks')).toEqual([true, true, true])
  })

  test('not asked for when a rule, a partition or the format needs values', async () => {
    expect(await run('nulls')).toEqual([false])
    expect(await run('unique')).toEqual([false])
    expect(await run('parquet')).toEqual([false])
    expect(await run('parted')).toEqual([false])
    expect(await run('cursor')).toEqual([false])
  })

  test('both paths write the same file', () => {
    const plain = file('plain')
    expect(plain.toString('utf8').split('\r\n').slice(0, 3)).toEqual([
      'id,at,ok,note',
      '1,2026-01-01T00:00:01.500000Z,false,n1',
      '2,2026-01-01T00:00:03.000000Z,true,n2',
    ])
    expect(file('nulls').equals(plain)).toBe(true)
    expect(file('counted').equals(plain)).toBe(true)
    expect(file('gzipped').equals(file('unique'))).toBe(true)
  })

  test('under Deno and in the binary, the CLI writes the same bytes', async () => {
    for (const runtime of ['deno', 'binary'] as const) {
      const out = tempDir()
      const config = writeConfig(
        out,
        `source: { type: postgres, url: "postgres://postgres@127.0.0.1:5432/test" }\n` +
          `destination: { type: local, path: ${JSON.stringify(out)} }\n` +
          `exports:\n  - { name: plain, query: "${query}", format: csv }\n`,
      )
      const result = await rivet(['run', '-c', config], { runtime })
      expect(result.code).toBe(0)
      const [name] = readdirSync(join(out, 'plain')).filter((f) => f.endsWith('.csv'))
      expect(readFileSync(join(out, 'plain', name)).equals(file('plain'))).toBe(true)
    }
  })
})
