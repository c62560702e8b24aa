/**
 * The benchmark datasets, generated in the local PostgreSQL (127.0.0.1:5432, user postgres,
 * database test, trust), MariaDB (127.0.0.1:3306, root, database test) and SQL Server (Babelfish
 * from scripts/services.sh, 127.0.0.1:1433, database rivet_bench; `narrow` only, through FreeTDS's
 * bsqldb from Debian's freetds-bin) on first use:
 *
 * - `narrow`: bigint id, int, double, decimal(12,2), ~20-character text, boolean, timestamp
 *   (timestamptz in PostgreSQL), date; all nullable, no NULLs.
 * - `wide_text`: bigint id and 19 text columns, six of them 200 to 2,000 characters long.
 *
 * A table is rebuilt when its row count differs from the one asked for.
 */
import { spawnSync } from 'node:child_process'

/** An engine the benchmark reads from. */
export type Engine = 'postgres' | 'mariadb' | 'sqlserver'
/** A generated table shape. */
export type Dataset = 'narrow' | 'wide_text'

const PSQL = ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'test']
const MARIADB = ['mariadb', '-h', '127.0.0.1', '-u', 'root', 'test']

/** Babelfish as scripts/services.sh starts it: its login, and the benchmark's own database. */
export const MSSQL = {
  host: '127.0.0.1:1433',
  user: 'bbf',
  password: 'Bbf-test-pass1',
  database: 'rivet_bench',
}
/** FreeTDS's protocol version for SQL Server 2012 and later (its default, 7.3, lacks nothing used here). */
export const FREETDS_ENV = { TDSVER: '7.4' }

function mssqlClient(database: string): string[] {
  return ['bsqldb', '-S', MSSQL.host, '-U', MSSQL.user, '-P', MSSQL.password, '-D', database, '-q']
}

/** The client command that runs SQL against an engine's test database. */
export function client(engine: Engine): string[] {
  if (engine === 'sqlserver') return mssqlClient(MSSQL.database)
  return engine === 'postgres' ? PSQL : MARIADB
}

function run(engine: Engine, sql: string, database?: string): string {
  if (engine === 'sqlserver') {
    const [cmd, ...args] = mssqlClient(database ?? MSSQL.database)
    const r = spawnSync(cmd, args, {
      input: sql,
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      env: { ...process.env, ...FREETDS_ENV },
    })
    if (r.status !== 0) throw new Error(`bsqldb failed: ${r.stdout}${r.stderr}`)
    return r.stdout.trim()
  }
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

/**
 * The narrow shape in T-SQL: the row numbers from a cross join of digit tables (no
 * generate_series in Babelfish 4.3), the label from a multiplicative hash (CONVERT of a hash to
 * hex text costs ~60 us a value on Babelfish); datetime2(6) for the timestamp.
 */
function mssqlCreate(dataset: Dataset, table: string, rows: number): string {
  if (dataset !== 'narrow') throw new Error('sqlserver: only the narrow dataset is generated')
  const digits = Math.max(1, Math.ceil(Math.log10(rows)))
  const names = Array.from({ length: digits }, (_, k) => `d${k}`)
  const number = names.map((d, k) => `${d}.v * ${10 ** k}`).join(' + ')
  return `create table dbo.${table} (id bigint not null primary key, n int, x float, amount decimal(12,2),
      label varchar(20), flag bit, created_at datetime2(6), day date);
    with d as (select v from (values (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) as t(v)),
    s as (select top (${rows}) cast(${number} + 1 as bigint) as i from ${
    names.map((d) => `d as ${d}`).join(' cross join ')
  })
    insert into dbo.${table}
    select i, i % 100000, i * 0.37, cast((i % 10000000) / 100.0 as decimal(12,2)),
      'label-' + cast(i * 7919 % 1000003 as varchar(10)), case when i % 3 = 0 then 1 else 0 end,
      dateadd(microsecond, i % 1000000, dateadd(second, i, cast('2020-01-01' as datetime2(6)))),
      dateadd(day, i % 10000, cast('2000-01-01' as date))
    from s`
}

function ensureMssqlDataset(dataset: Dataset, rows: number): string {
  const table = tableName(dataset, rows)
  run('sqlserver', `if db_id(N'${MSSQL.database}') is null create database ${MSSQL.database}`, 'master')
  const exists = run('sqlserver', `select count(*) from sys.tables where name = '${table}'`) === '1'
  if (exists && Number(run('sqlserver', `select count_big(*) from dbo.${table}`)) === rows) return table
  console.log(`creating sqlserver ${table} ...`)
  run('sqlserver', `drop table if exists dbo.${table}`)
  run('sqlserver', mssqlCreate(dataset, table, rows))
  return table
}

/** Creates the dataset's table unless it exists with `rows` rows; returns its name. */
export function ensureDataset(engine: Engine, dataset: Dataset, rows: number): string {
  if (engine === 'sqlserver') return ensureMssqlDataset(dataset, rows)
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
