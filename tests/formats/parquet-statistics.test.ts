/**
 * Row group statistics, as engines use them: DuckDB skips a row group whose min/max rule out a
 * predicate, so a wrong min or max loses rows. A PostgreSQL table of edge values in every
 * filterable type is exported in 30 row groups of 100 rows; counts of `<`, `>` and `=` at
 * pivots taken from the data, in DuckDB over the Parquet, must equal PostgreSQL's own.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { rivet, type Runtime } from '../helpers/cli.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { duck, readWithHyparquet } from '../helpers/parquet.ts'
import { PG_URL, pgExec } from '../helpers/pg.ts'

const TABLE = 'rivet_parquet_statistics'
const ROWS = 3000
const GROUP = 100

interface Column {
  name: string
  pg: string
  /** SQL over i = 1..3000: rising with i, so row groups hold narrow, mostly disjoint ranges. */
  value: string
  /** The DuckDB type a pivot literal is cast to. */
  duck: string
  override?: string
}

// The row groups' boundaries fall inside the runs of each leading character below.
const LEADS = ['A', 'z', '\u00e9', '\u4e2d', '\uff5e', '\u{1f600}', '\u{10fff0}']

const columns: Column[] = [
  { name: 'i16', pg: 'smallint', value: `(i - 1500) * 21`, duck: 'SMALLINT' },
  { name: 'i64', pg: 'bigint', value: `(i - 1500)::bigint * 6148914691236517`, duck: 'BIGINT' },
  { name: 'u32', pg: 'bigint', override: 'uint32', value: `(i - 1)::bigint * 1431655`, duck: 'UINTEGER' },
  // Past 2^63 from i = 1501: a signed compare would put those below the rest.
  {
    name: 'u64',
    pg: 'numeric(20,0)',
    override: 'uint64',
    value: `(i - 1)::numeric * 6148914691236517`,
    duck: 'UBIGINT',
  },
  { name: 'd9', pg: 'numeric(9,2)', value: `(i - 1500) * 6543.21`, duck: 'DECIMAL(9,2)' },
  { name: 'd18', pg: 'numeric(18,4)', value: `(i - 1500) * 66666666666.6666`, duck: 'DECIMAL(18,4)' },
  {
    name: 'd38',
    pg: 'numeric(38,10)',
    value: `(i - 1500) * 6666666666666666666666666.6666666666`,
    duck: 'DECIMAL(38,10)',
  },
  // A row group of NaN only, one of NaN among numbers (no min or max: see below); infinities.
  {
    name: 'f8',
    pg: 'double precision',
    value:
      `case when i between 2001 and 2100 or i between 2501 and 2600 and i % 7 = 0 then 'NaN' when i = 1 then '-Infinity' when i = 3000 then 'Infinity' else (i - 1500) * 1e297 end`,
    duck: 'DOUBLE',
  },
  {
    name: 'f4',
    pg: 'real',
    value: `case when i between 1701 and 1800 and i % 3 = 0 then 'NaN' else ((i - 1500) * 1.5e35)::real end`,
    duck: 'FLOAT',
  },
  {
    name: 't',
    pg: 'text',
    value: `(array[${
      LEADS.map((c) => `'${c}'`).join(', ')
    }])[(i - 1) * ${LEADS.length} / ${ROWS} + 1] || lpad(i::text, 4, '0')`,
    duck: 'VARCHAR',
  },
  // First byte past 0x7f from about i = 1500: a signed byte compare would misorder them.
  {
    name: 'bin',
    pg: 'bytea',
    value: `decode(lpad(to_hex((i - 1)::bigint * 1431655), 8, '0'), 'hex')`,
    duck: 'BLOB',
  },
  {
    name: 'u',
    pg: 'uuid',
    value: `(lpad(to_hex((i - 1)::bigint * 1431655), 8, '0') || '-0000-4000-8000-000000000000')::uuid`,
    duck: 'UUID',
  },
  { name: 'dt', pg: 'date', value: `date '1900-01-01' + i * 25`, duck: 'DATE' },
  { name: 'tm', pg: 'time', value: `time '00:00:00' + i * interval '28.799999 seconds'`, duck: 'TIME' },
  {
    name: 'ts',
    pg: 'timestamp',
    value: `timestamp '1900-01-01' + i * interval '25 days 1 hour 0.000001 seconds'`,
    duck: 'TIMESTAMP',
  },
  {
    name: 'tstz',
    pg: 'timestamptz',
    value: `timestamptz '1890-06-01 00:00:00+00' + i * interval '30 days 0.000003 seconds'`,
    duck: 'TIMESTAMPTZ',
  },
  { name: 'b', pg: 'boolean', value: `i > 1450`, duck: 'BOOLEAN' },
]

// Rows whose value is taken as a pivot: ends, around the sign and 2^63 changes, inside groups.
// 2101..2200 is the row group where text turns from U+FF5E to U+1F600 (at 2144): UTF-16 order
// would swap its min and max.
const PIVOT_IDS = [1, 2, 150, 777, 1450, 1500, 1501, 1555, 2050, 2101, 2143, 2144, 2200, 2222, 2999, 3000]
const OPS = ['<', '>', '=']

const runtimes: Runtime[] = ['bun', 'deno', 'binary']
const files: Partial<Record<Runtime, string>> = {}
let file = ''
let pivots: Record<string, (string | null)[]> = {}

beforeAll(async () => {
  const nulls = (c: Column) => `case when i % 13 = 0 or i between 1201 and 1300 then null else ${c.value} end`
  await pgExec(`
    set timezone = 'UTC';
    drop table if exists ${TABLE};
    create table ${TABLE} (id integer not null, ${columns.map((c) => `${c.name} ${c.pg}`).join(', ')});
    insert into ${TABLE} select i, ${columns.map(nulls).join(', ')} from generate_series(1, ${ROWS}) i;
  `)
  const client = postgres(PG_URL, { max: 1, onnotice: () => {} })
  try {
    await client`set timezone = 'UTC'`
    const rows = await client.unsafe(
      `select id, ${
        columns.map((c) => `${c.name}::text as ${c.name}`).join(', ')
      } from ${TABLE} where id in (${PIVOT_IDS.join(', ')})`,
    )
    pivots = Object.fromEntries(columns.map((c) => [c.name, rows.map((r) => r[c.name] as string | null)]))
  } finally {
    await client.end()
  }
  // In id order: PostgreSQL fills a page's free space with later short rows, out of order.
  const overrides = columns.filter((c) => c.override).map((c) => `${c.name}: ${c.override}`).join(', ')
  // Under each runtime; Bun's file is the one read, the others must be the same bytes.
  for (const runtime of runtimes) {
    const dir = tempDir()
    const config = writeConfig(
      dir,
      `source: { type: postgres, url: "${PG_URL}" }\ndestination: { type: local, path: ${dir}/out }\n` +
        `exports:\n  - name: stats\n    query: select * from ${TABLE} order by id\n    row_group_size: ${GROUP}\n` +
        `    columns: { ${overrides} }\n`,
    )
    const result = await rivet(['run', '-c', config], { runtime })
    expect(result.code).toBe(0)
    files[runtime] = join(dir, 'out', listFiles(join(dir, 'out')).find((f) => f.endsWith('.parquet'))!)
  }
  file = files.bun!
})

const quote = (text: string) => `'${text.replaceAll("'", "''")}'`

/** A pivot as a DuckDB constant of the column's type (PostgreSQL's text of the value). */
function duckLiteral(c: Column, text: string): string {
  // bytea's text is \x and hex digits.
  if (c.duck === 'BLOB') return `from_hex(${quote(text.slice(2))})`
  return `cast(${quote(text)} as ${c.duck})`
}

/** A pivot as a PostgreSQL constant; text compares in byte (C) order, as Parquet's min/max do. */
function pgLiteral(c: Column, text: string): string {
  return c.pg === 'text' ? `${quote(text)} collate "C"` : `${quote(text)}::${c.pg}`
}

describe('Parquet statistics', () => {
  test('Bun, Deno and the binary write the same bytes', () => {
    const bun = readFileSync(files.bun!)
    expect(readFileSync(files.deno!).equals(bun)).toBe(true)
    expect(readFileSync(files.binary!).equals(bun)).toBe(true)
  })

  test('min and max in every row group with values, none where a float chunk holds NaN', async () => {
    const { metadata } = await readWithHyparquet(file)
    expect(metadata.row_groups).toHaveLength(ROWS / GROUP)
    // Row group 12 (ids 1201..1300) is all NULL. A float chunk with NaN has no min or max, as
    // DuckDB writes it: DuckDB orders NaN above every number, so `x > max` would skip its NaNs.
    const without: Record<string, number[]> = { f8: [20, 25], f4: [17] }
    metadata.row_groups.forEach((group, g) => {
      group.columns.slice(1).forEach((chunk, c) => {
        const stats = chunk.meta_data!.statistics!
        const name = columns[c].name
        const empty = g === 12 || (without[name]?.includes(g) ?? false)
        expect([name, g, stats.min_value === undefined, stats.max_value === undefined]).toEqual([
          name,
          g,
          empty,
          empty,
        ])
      })
    })
  })

  test('DuckDB counts of <, > and = at every pivot equal PostgreSQL counts', async () => {
    const cases: { column: Column; op: string; pivot: string }[] = []
    for (const column of columns) {
      for (const pivot of new Set(pivots[column.name])) {
        if (pivot === null) continue
        for (const op of OPS) cases.push({ column, op, pivot })
      }
    }
    // One scan per case, so DuckDB pushes each constant predicate down to the row groups.
    const duckSql = cases.map(({ column, op, pivot }, k) =>
      `select ${k} as k, count(*)::int as n from read_parquet('${file}') where ${column.name} ${op} ${
        duckLiteral(column, pivot)
      }`
    ).join('\nunion all\n')
    const fromDuck = Object.fromEntries((await duck(duckSql)).map((r) => [r.k, r.n]))

    const client = postgres(PG_URL, { max: 1, onnotice: () => {} })
    let fromPg: Record<string, number>
    try {
      await client`set timezone = 'UTC'`
      const [row] = await client.unsafe(
        `select ${
          cases.map(({ column, op, pivot }, k) =>
            `count(*) filter (where ${column.name} ${op} ${pgLiteral(column, pivot)})::int as c${k}`
          ).join(', ')
        } from ${TABLE}`,
      )
      fromPg = Object.fromEntries(cases.map((_, k) => [k, row[`c${k}`] as number]))
    } finally {
      await client.end()
    }
    const label = (k: number) => `${cases[k].column.name} ${cases[k].op} ${cases[k].pivot}`
    const got = cases.map((_, k) => `${label(k)}: ${fromDuck[k]}`)
    const want = cases.map((_, k) => `${label(k)}: ${fromPg[k]}`)
    expect(got).toEqual(want)
    // The pivots cut inside the data: most predicates keep some rows and drop others.
    expect(cases.filter((_, k) => fromPg[k] > 0 && fromPg[k] < ROWS - 300).length).toBeGreaterThan(
      cases.length / 2,
    )
  })
})
