/**
 * What the object-store tests share: the config of an export from the test PostgreSQL to a
 * bucket or container, a PostgreSQL table of several types to export, and the check that a run in a bucket or container has the layout of the spec, a manifest whose sizes
 * and checksums match the downloaded part, and values DuckDB reads back right.
 */
import { expect } from 'bun:test'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Manifest, manifestSchema } from '../../src/pipeline/manifest.ts'
import { writeConfig } from './files.ts'
import { duck } from './parquet.ts'
import { PG_URL, pgExec } from './pg.ts'

/**
 * Writes rivet.yaml in `dir` exporting from the test PostgreSQL to an object store: `destination`
 * holds the destination block's lines (indented, each ending in a newline), `exports` the list's
 * items. Returns the file's path.
 */
export function objectStoreConfig(dir: string, destination: string, exports: string): string {
  return writeConfig(
    dir,
    `source: { type: postgres, url: "${PG_URL}" }\ndestination:\n${destination}exports:\n${exports}`,
  )
}

/** Rows in the table {@link createTypedTable} fills. */
export const TYPED_ROWS = 50_000

/** Creates (or recreates) `name` with {@link TYPED_ROWS} rows of numbers, times, text, uuid and bytes. */
export async function createTypedTable(name: string): Promise<void> {
  await pgExec(`
    drop table if exists ${name};
    create table ${name} (
      id bigint primary key, amount numeric(12,2), ts timestamptz, day date, label text, flag boolean,
      ref uuid, payload bytea
    );
    insert into ${name}
      select i, i * 0.25, timestamptz '2026-01-01 00:00:00.123456+00' + i * interval '1 second',
             date '1969-12-31' + (i % 1000), md5(i::text), i % 3 = 0, md5(i::text)::uuid,
             decode(lpad(to_hex(i), 8, '0'), 'hex')
        from generate_series(1, ${TYPED_ROWS}) i;
  `)
}

/** Where one run's objects are and how to read them. */
export interface StoredRun {
  /** Every object name in the bucket or container. */
  names: string[]
  /** `<prefix>/<export>`: the export's directory. */
  base: string
  exportName: string
  runId: string
  read(name: string): Promise<Uint8Array>
}

/**
 * Checks the objects of a one-part Parquet run: exactly the part and the manifest, with the
 * part's size and sha256 as the manifest says. Returns the manifest and the part, saved in `dir`.
 */
export async function checkStoredRun(
  run: StoredRun,
  dir: string,
): Promise<{ manifest: Manifest; local: string }> {
  const manifestName = `${run.base}/_rivet/runs/${run.runId}.json`
  const partName = `${run.base}/${run.exportName}-${run.runId}-00000.parquet`
  expect(run.names).toEqual([manifestName, partName].sort())
  const manifest = manifestSchema.parse(JSON.parse(new TextDecoder().decode(await run.read(manifestName))))
  expect(manifest.parts.map((p) => p.path)).toEqual([`${run.exportName}-${run.runId}-00000.parquet`])
  const bytes = await run.read(partName)
  expect(bytes.length).toBe(manifest.parts[0].bytes)
  expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.parts[0].sha256)
  const local = join(dir, 'part.parquet')
  writeFileSync(local, bytes)
  return { manifest, local }
}

/** Checks with DuckDB that a Parquet file holds the typed table's values. */
export async function checkTypedValues(local: string): Promise<void> {
  const [agg] = await duck(`
    select count(*)::int as n, sum(amount)::varchar as total, max(ts)::varchar as latest,
           min(day)::varchar as first_day, count(*) filter (where flag)::int as flagged
      from read_parquet('${local}')`)
  expect(agg).toEqual({
    n: TYPED_ROWS,
    total: '312506250.00',
    latest: '2026-01-01 13:53:20.123456+00',
    first_day: '1969-12-31',
    flagged: 16666,
  })
  const [row] = await duck(
    `select label, ref::varchar as ref, hex(payload) as payload, day::varchar as day
       from read_parquet('${local}') where id = 12345`,
  )
  const md5 = createHash('md5').update('12345').digest('hex')
  expect(row).toEqual({
    label: md5,
    ref: `${md5.slice(0, 8)}-${md5.slice(8, 12)}-${md5.slice(12, 16)}-${md5.slice(16, 20)}-${md5.slice(20)}`,
    payload: '00003039',
    day: '1970-12-11',
  })
}
