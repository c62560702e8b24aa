/**
 * The benchmark datasets, generated in the local PostgreSQL (127.0.0.1:5432, user postgres,
 * database test, trust) and MariaDB (127.0.0.1:3306, root, database test) on first use:
 *
 * - `narrow`: bigint id, int, double, decimal(12,2), ~20-character text, boolean, timestamp
 *   (timestamptz in PostgreSQL), date; all nullable, no NULLs.
 * - `wide_text`: bigint id and 19 text columns, six of them 200 to 2,000 characters long.
 *
 * A table is rebuilt when its row count differs from the one asked for.
 */
import { spawnSync } from 'node:child_process'

/** An engine the benchmark reads from. */
export type Engine = 'postgres' | 'mariadb'
/** A generated table shape. */
export type Dataset = 'narrow' | 'wide_text'

const PSQL = ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'test']
const MARIADB = ['mariadb', '-h', '127.0.0.1', '-u', 'root', 'test']

/** The client command that runs SQL against an engine's test database. */
export function client(engine: Engine): string[] {
  return engine === 'postgres' ? PSQL : MARIADB
}

function run(engine: Engine, sql: string): string {
  const [cmd, ...args] = client(engine)
  const flags = engine === 'postgres' ? ['-Atc', sql] : ['-N', '-B', '-e', sql]
  const r = spawnSync(cmd, [...args, ...flags], { encoding: 'utf8', maxBuffer: 1 << 20 })
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`)
  return r.stdout.trim()
}

/** The table name of a dataset at a row count. */
export function tableName(dataset: Dataset, rows: number): string {
  return `bench_${dataset}_${rows}`
}

// Text of a given length from a row number: md5 hex repeated, so it compresses like real text
// does (some, not to nothing). `n` is an SQL expression for the row number.
function pgText(n: string, length: number): string {
  return `substr(repeat(md5((${n})::text), ${Math.ceil(length / 32)}), 1, ${length})`
}

function mariaText(n: string, length: number): string {
  return `substr(repeat(md5((${n})), ${Math.ceil(length / 32)}), 1, ${length})`
}

const WIDE_LONG = [200, 500, 800, 1200, 1600, 2000]

function pgCreate(dataset: Dataset, table: string, rows: number): string {
  if (dataset === 'narrow') {
    return `create table ${table} as
      select i::bigint as id, (i % 100000)::int as n, i * 0.37::double precision as x,
             ((i % 10000000) / 100.0)::numeric(12,2) as amount,
             'label-' || substr(md5(i::text), 1, 14) as label, i % 3 = 0 as flag,
             timestamptz '2020-01-01 00:00:00+00' + i * interval '1 second' + (i % 1000000) * interval '1 microsecond' as created_at,
             date '2000-01-01' + (i % 10000)::int as day
        from generate_series(1, ${rows}) as i`
  }
  const short = Array.from({ length: 13 }, (_, c) => `${pgText(`i + ${c}`, 10 + c * 3)} as s${c + 1}`)
  const long = WIDE_LONG.map((len, c) => `${pgText(`i * ${c + 7}`, len)} as t${c + 1}`)
  return `create table ${table} as select i::bigint as id, ${[...short, ...long].join(', ')}
    from generate_series(1, ${rows}) as i`
}

function mariaCreate(dataset: Dataset, table: string, rows: number): string {
  // MariaDB's sequence engine (seq_1_to_N) stands in for generate_series.
  if (dataset === 'narrow') {
    return `create table ${table} as
      select cast(seq as signed) as id, cast(seq % 100000 as int) as n, seq * 0.37e0 as x,
             cast((seq % 10000000) / 100.0 as decimal(12,2)) as amount,
             concat('label-', substr(md5(seq), 1, 14)) as label, seq % 3 = 0 as flag,
             timestamp'2020-01-01 00:00:00' + interval seq second + interval (seq % 1000000) microsecond as created_at,
             date'2000-01-01' + interval (seq % 10000) day as day
        from seq_1_to_${rows}`
  }
  const short = Array.from({ length: 13 }, (_, c) => `${mariaText(`seq + ${c}`, 10 + c * 3)} as s${c + 1}`)
  const long = WIDE_LONG.map((len, c) => `${mariaText(`seq * ${c + 7}`, len)} as t${c + 1}`)
  return `create table ${table} as select cast(seq as signed) as id, ${[...short, ...long].join(', ')}
    from seq_1_to_${rows}`
}

/** Creates the dataset's table unless it exists with `rows` rows; returns its name. */
export function ensureDataset(engine: Engine, dataset: Dataset, rows: number): string {
  const table = tableName(dataset, rows)
  const exists = engine === 'postgres'
    ? run(engine, `select to_regclass('public.${table}') is not null`) === 't'
    : run(
      engine,
      `select count(*) from information_schema.tables where table_schema = 'test' and table_name = '${table}'`,
    ) ===
      '1'
  if (exists && Number(run(engine, `select count(*) from ${table}`)) === rows) return table
  console.log(`creating ${engine} ${table} ...`)
  run(engine, `drop table if exists ${table}`)
  run(engine, engine === 'postgres' ? pgCreate(dataset, table, rows) : mariaCreate(dataset, table, rows))
  if (engine === 'postgres') run(engine, `analyze ${table}`)
  return table
}
