/**
 * `meta_columns` through the CLI: `_rivet_row_hash` is the documented SHA-256 of the row's
 * canonical form, the same from PostgreSQL, MariaDB and SQLite, in Parquet and CSV, run after run;
 * `_rivet_exported_at` is the run's start and `_rivet_run_id` its id.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Manifest, manifestSchema } from '../../src/pipeline/manifest.ts'
import { rivet, type Runtime } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import { MYSQL_URL, mysqlExec } from '../helpers/mysql.ts'
import { duck } from '../helpers/parquet.ts'
import { PG_URL, pgExec } from '../helpers/pg.ts'

/** The canonical form README.md documents, built by hand. */
function documentedHash(values: (string | null)[]): string {
  return createHash('sha256').update(JSON.stringify(values), 'utf8').digest('hex')
}

const ROWS: (string | null)[][] = [
  ['1', 'plain', '1.50', '2026-11-22'],
  ['2', 'quote " comma, ünï', '-0.05', null],
  ['3', null, '12345678.90', '1970-01-01'],
]

const SQLITE_DB = join(tempDir(), 'meta.db')

const SOURCES = {
  postgres: `{ type: postgres, url: "${PG_URL}" }`,
  mysql: `{ type: mysql, url: "${MYSQL_URL}" }`,
  sqlite: `{ type: sqlite, path: ${SQLITE_DB} }`,
}

beforeAll(async () => {
  const insert = `insert into rivet_meta values (1, 'plain', 1.50, '2026-11-22'),
    (2, 'quote " comma, ünï', -0.05, null), (3, null, 12345678.90, '1970-01-01')`
  await pgExec(`drop table if exists rivet_meta;
    create table rivet_meta (id int not null, name text, amount numeric(10,2) not null, d date); ${insert}`)
  await mysqlExec(`drop table if exists rivet_meta;
    create table rivet_meta (id int not null, name varchar(40), amount decimal(10,2) not null, d date); ${insert}`)
  const sqlite = new Database(SQLITE_DB)
  sqlite.run(
    'create table rivet_meta (id integer not null, name text, amount numeric(10,2) not null, d date)',
  )
  sqlite.run(insert)
  sqlite.close()
})

/** Runs one export of rivet_meta with every meta column; returns its manifest and directory. */
async function exportMeta(source: keyof typeof SOURCES, format: 'parquet' | 'csv', runtime: Runtime = 'bun') {
  const dir = tempDir()
  const out = join(dir, 'out')
  const file = writeConfig(
    dir,
    `source: ${SOURCES[source]}\ndestination: { type: local, path: ${out} }\nexports:\n` +
      `  - { name: m, query: "select * from rivet_meta order by id", format: ${format}, ` +
      `meta_columns: [exported_at, run_id, row_hash] }\n`,
  )
  const result = await rivet(['run', '-c', file], { runtime })
  expect(result.stderr).not.toContain('error')
  expect(result.code).toBe(0)
  const runs = join(out, 'm', '_rivet', 'runs')
  const [name] = readdirSync(runs)
  const manifest: Manifest = manifestSchema.parse(JSON.parse(readFileSync(join(runs, name), 'utf8')))
  return { manifest, path: join(out, 'm', manifest.parts[0].path) }
}

describe('meta_columns', () => {
  const expected = ROWS.map(documentedHash)

  test('the manifest lists the meta columns after the query columns, as NOT NULL', async () => {
    const { manifest } = await exportMeta('postgres', 'parquet')
    expect(manifest.columns.map((c) => [c.name, c.output_type, c.nullable])).toEqual([
      // A query's columns are nullable as PostgreSQL describes them.
      ['id', 'int32', true],
      ['name', 'string', true],
      ['amount', 'decimal(10,2)', true],
      ['d', 'date', true],
      ['_rivet_exported_at', 'timestamptz', false],
      ['_rivet_run_id', 'string', false],
      ['_rivet_row_hash', 'string', false],
    ])
  })

  for (const source of ['postgres', 'mysql', 'sqlite'] as const) {
    test(`${source} to Parquet: documented hashes, the run's start and id`, async () => {
      const { manifest, path } = await exportMeta(source, 'parquet')
      const rows = await duck(
        `select epoch_us(_rivet_exported_at) as us, _rivet_run_id as run, _rivet_row_hash as hash,
           typeof(_rivet_exported_at) as t from '${path}' order by id`,
      )
      expect(rows.map((r) => r.hash)).toEqual(expected)
      expect(rows.map((r) => r.run)).toEqual(Array(3).fill(manifest.run_id))
      expect(rows.map((r) => String(r.us))).toEqual(
        Array(3).fill(String(Date.parse(manifest.started_at) * 1000)),
      )
      expect(rows[0].t).toBe('TIMESTAMP WITH TIME ZONE')
    })

    // Deno's and the binary's node:crypto and JSON give the same bytes as Bun's.
    test(`${source} to CSV: the same hashes (${source === 'mysql' ? 'Deno' : 'binary'})`, async () => {
      const { manifest, path } = await exportMeta(source, 'csv', source === 'mysql' ? 'deno' : 'binary')
      const lines = readFileSync(path, 'utf8').trim().split('\r\n')
      expect(lines[0]).toBe('id,name,amount,d,_rivet_exported_at,_rivet_run_id,_rivet_row_hash')
      const hashes = lines.slice(1).map((line) => line.split(',').at(-1))
      expect(hashes).toEqual(expected)
      expect(lines[1].split(',').at(-2)).toBe(manifest.run_id)
      expect(lines[1].split(',').at(-3)).toBe(manifest.started_at.replace('Z', '000Z'))
    })
  }
})
