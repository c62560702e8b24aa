/**
 * PostgreSQL through postgres.js. Rows stream through a binary COPY (copy.ts) decoded straight into
 * column values; types without a binary decoder come as text and are converted exactly in
 * src/types, like everything on the server-side cursor that remains for reads COPY cannot do
 * (bounds with backslashes, queries PostgreSQL cannot parse inside COPY). A read whose rows only
 * become CSV is a CSV COPY instead (copy-csv.ts). On plain TCP the COPY data is taken from the
 * socket below the driver (copy-tap.ts). The session is pinned to UTC, ISO dates and ISO 8601
 * intervals so the text is unambiguous.
 */
import postgres from 'postgres'
import type { Column, DescribedColumn, OutputType } from '../../types/output.ts'
import type { DriverValue } from '../../types/convert.ts'
import type { ColumnBatch } from '../../types/values.ts'
import { BatchBuilder, batchStream, columnConverter, type Prepare } from '../batch.ts'
import type { ServerConnection } from '../connection.ts'
import {
  type BatchLimits,
  narrowQuery,
  quoteIdentifier,
  quoteTableName,
  type ReadRequest,
  type Source,
  type SqlDialect,
} from '../source.ts'
import { parsePgArray } from './array.ts'
import { binaryDecoder, int64Decoder, textFieldDecoder } from './binary.ts'
import { PgCapture } from './cdc.ts'
import { binaryCopyPlan, copyBatches, type CopyPlan, copyStatement, pgLiteral, textColumns } from './copy.ts'
import { csvFieldPlans, CsvRecordReader } from './copy-csv.ts'
import { CopyTap } from './copy-tap.ts'
import { pgError } from './errors.ts'
import { describePgColumn, PG_OID, type PgColumnInfo } from './types.ts'

// Types postgres.js would turn into JS numbers, Dates or parsed JSON: keep their text instead.
const TEXT_OIDS = [16, 20, 21, 23, 26, 114, 700, 701, 1082, 1114, 1184, 1700, 3802]

function driverOptions(conn: ServerConnection): postgres.Options<Record<string, postgres.PostgresType>> {
  let ssl: postgres.Options<Record<string, never>>['ssl'] = false
  if (conn.tls === 'require') ssl = 'require'
  if (conn.tls === 'verify-ca') {
    // verify-ca checks the chain but, unlike verify-full, not the host name.
    ssl = { rejectUnauthorized: true, ca: conn.ca, checkServerIdentity: () => undefined }
  }
  // postgres.js sets the server name (SNI and the host name check) itself, and only for names, not IPs.
  if (conn.tls === 'verify-full') ssl = { rejectUnauthorized: true, ca: conn.ca }
  return {
    host: conn.host,
    port: conn.port,
    user: conn.user,
    database: conn.database,
    pass: conn.password ? () => conn.password!.reveal() : undefined,
    ssl,
    max: 1,
    prepare: false,
    fetch_types: false,
    connect_timeout: 10,
    idle_timeout: 0,
    onnotice: () => {},
    types: {
      rivetText: { to: 25, from: TEXT_OIDS, serialize: (x: unknown) => String(x), parse: (x: string) => x },
    },
    connection: {
      application_name: 'rivet',
      DateStyle: 'ISO, YMD',
      TimeZone: 'UTC',
      IntervalStyle: 'iso_8601',
      // Shortest round-trip float text on PostgreSQL 12+, and enough digits to be exact before.
      extra_float_digits: 3,
      bytea_output: 'hex',
      lc_monetary: 'C',
    },
  }
}

const describeSql = `
select a.attname as name,
       format_type(bt.oid, case when t.typbasetype <> 0 then t.typtypmod else a.atttypmod end) as formatted,
       bt.oid::int as oid, bt.typcategory as category,
       case when bt.typcategory = 'A' then bt.typelem::int end as element_oid,
       et.typcategory as element_category
  from pg_attribute a
  join pg_type t on t.oid = a.atttypid
  join pg_type bt on bt.oid = coalesce(nullif(t.typbasetype, 0), a.atttypid)
  left join pg_type et on et.oid = bt.typelem and bt.typcategory = 'A'
 where a.attrelid = 'pg_temp.rivet_describe'::regclass and a.attnum > 0 and not a.attisdropped
 order by a.attnum`

function hexToBytes(text: string): Uint8Array {
  const hex = text.startsWith('\\x') ? text.slice(2) : text
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return out
}

const stripMoney: Prepare = (v) => typeof v === 'string' ? v.replace(/[$,]/g, '') : v

/** The cast that reads a text parameter as a value of an output type (postgres.js sends text). */
function pgCast(type: OutputType): string {
  switch (type.kind) {
    case 'int':
      return 'int8'
    case 'decimal':
      return 'numeric'
    case 'float':
      return 'float8'
    case 'timestamp':
      return type.utc ? 'timestamptz' : 'timestamp'
    case 'date':
    case 'time':
    case 'uuid':
      return type.kind
    default:
      return 'text'
  }
}

/** PostgreSQL's SQL spelling. */
export const pgDialect: SqlDialect = {
  quote: (identifier) => quoteIdentifier(identifier, '"'),
  param: (index, type) => `$${index + 1}::${pgCast(type)}`,
  intDiv: (a, b) => `(${a}) / (${b})`,
}

/** A PostgreSQL source on one connection. */
export class PostgresSource implements Source {
  readonly engine = 'postgres'
  readonly dialect = pgDialect
  readonly target: string
  private readonly sql: postgres.Sql<Record<string, never>>
  private readonly infos = new Map<string, PgColumnInfo[]>()
  /** Queries that read a whole table, whose columns' NOT NULL holds for every row returned. */
  private readonly tableQueries = new Set<string>()
  private serverVersion: number | undefined

  /** Reads COPY data below the driver; only on plain TCP, where rivet sees the protocol's bytes. */
  private readonly tap: CopyTap | undefined

  /** Logical replication of the source's tables (cdc.ts). */
  readonly capture: PgCapture

  constructor(private readonly conn: ServerConnection) {
    this.target = conn.target
    const options = driverOptions(conn)
    if (options.ssl === false && !conn.host.startsWith('/')) {
      const tap = new CopyTap()
      // postgres.js takes a socket factory (its README's "Custom socket"), which its types leave out.
      Object.assign(options, { socket: () => tap.connect(conn.host, conn.port) })
      this.tap = tap
    }
    this.sql = postgres(options) as unknown as postgres.Sql<Record<string, never>>
    this.capture = new PgCapture(this, driverOptions(conn))
  }

  async listTables(): Promise<string[]> {
    try {
      const rows = await this.sql.unsafe(
        `select table_schema || '.' || table_name as name from information_schema.tables
          where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
          order by 1`,
      )
      return rows.map((r) => String(r.name))
    } catch (error) {
      throw pgError(error, this.target)
    }
  }

  selectAll(table: string): string {
    const query = `select * from ${quoteTableName(table, '"')}`
    this.tableQueries.add(query)
    return query
  }

  async describe(query: string): Promise<DescribedColumn[]> {
    const infos = await this.columnInfos(query)
    return infos.map(describePgColumn)
  }

  private async columnInfos(query: string): Promise<PgColumnInfo[]> {
    const cached = this.infos.get(query)
    if (cached) return cached
    try {
      const statement = await this.sql.unsafe(query).describe()
      // Any other query may null a NOT NULL column (outer join, grouping sets), so its
      // columns stay nullable.
      const notNull = this.tableQueries.has(query)
        ? await this.notNullColumns(statement.columns)
        : statement.columns.map(() => false)
      // A temporary view keeps each column's type modifier (numeric precision), which the wire
      // protocol's row description carries but the driver drops. It is rolled back at once.
      let rows: PgColumnInfo[] = []
      await this.sql.begin(async (tx) => {
        await tx.unsafe(`create temporary view rivet_describe as ${query}`)
        const found = await tx.unsafe(describeSql)
        rows = found.map((r, i) => ({
          name: statement.columns[i]?.name ?? String(r.name),
          oid: Number(r.oid),
          formatted: String(r.formatted),
          category: String(r.category),
          elementOid: r.element_oid === null ? undefined : Number(r.element_oid),
          elementCategory: r.element_category ?? undefined,
          nullable: !notNull[i],
        }))
        throw rollback
      }).catch((e) => {
        if (e !== rollback) throw e
      })
      this.infos.set(query, rows)
      return rows
    } catch (error) {
      throw pgError(error, this.target)
    }
  }

  private async notNullColumns(columns: readonly { table: number; number: number }[]): Promise<boolean[]> {
    const pairs = columns.map((c) => [c.table, c.number])
    if (!pairs.some(([table]) => table !== 0)) return columns.map(() => false)
    const found = await this.sql.unsafe(
      `select a.attrelid::int as t, a.attnum::int as n from pg_attribute a
        join json_to_recordset($1::json) as c(t oid, n int) on a.attrelid = c.t and a.attnum = c.n
       where a.attnotnull`,
      [JSON.stringify(pairs.map(([t, n]) => ({ t, n })))],
    )
    const set = new Set(found.map((r) => `${r.t}.${r.n}`))
    return columns.map((c) => set.has(`${c.table}.${c.number}`))
  }

  async estimateRows(query: string): Promise<number | undefined> {
    try {
      const [row] = await this.sql.unsafe(`explain (format json) ${query}`)
      const plan = row['QUERY PLAN'] as unknown as [{ Plan: { 'Plan Rows': number } }]
      const parsed = typeof plan === 'string' ? JSON.parse(plan) : plan
      return parsed[0].Plan['Plan Rows']
    } catch (error) {
      throw pgError(error, this.target)
    }
  }

  async queryText(text: string, params: string[]): Promise<(string | null)[][]> {
    try {
      const rows = await this.sql.unsafe(text, params).values()
      return rows.map((row) => row.map((v) => v === null ? null : String(v)))
    } catch (error) {
      throw pgError(error, this.target)
    }
  }

  read(request: ReadRequest, limits: BatchLimits): ReadableStream<ColumnBatch> {
    const narrowed = narrowQuery(request.query, request.range, this.dialect)
    return copyBatches({
      sql: this.sql,
      target: this.target,
      plan: () => this.copyPlan(request, narrowed, limits),
      fallback: () => this.readCursor(narrowed, request, limits),
      cancelBackend: (pid, statement) => this.cancelBackend(pid, statement),
      tap: this.tap,
    })
  }

  /**
   * The COPY for a read: binary decoders where there are some, text for the other columns. The
   * column types come from the catalog (cached per query), so a connection opened only to read
   * (a parallel chunk) describes the query first.
   */
  private async copyPlan(
    request: ReadRequest,
    narrowed: Narrowed,
    limits: BatchLimits,
  ): Promise<CopyPlan | undefined> {
    const infos = await this.columnInfos(request.query)
    // COPY binds no parameters, so the range's bounds go in as literals, which need no backslash.
    if (infos.length !== request.columns.length || narrowed.params.some((p) => p.includes('\\'))) {
      return undefined
    }
    const inlined = narrowQuery(request.query, request.range, {
      ...this.dialect,
      param: (index, type) => `${pgLiteral(narrowed.params[index])}::${pgCast(type)}`,
    })
    const prepares = this.prepares(request)
    const converters = request.columns.map((column, i) => columnConverter(column, prepares[i]))
    if (request.csv) {
      const fields = csvFieldPlans(infos, request.columns, converters, await this.floatsShortest())
      return {
        statement: copyStatement(inlined.sql, 'csv'),
        reader: (onBatch) => new CsvRecordReader(fields, limits, onBatch),
      }
    }
    const binary = request.columns.map((column, i) => binaryDecoder(infos[i], column, converters[i]))
    return binaryCopyPlan(
      copyStatement(inlined.sql, 'binary', textColumns(binary.map((decoder) => !decoder))),
      request.columns,
      binary.map((decoder, i) => decoder ?? textFieldDecoder(converters[i])),
      request.columns.map((column, i) => int64Decoder(infos[i], column)),
      limits,
    )
  }

  /** Whether the server writes floats as shortest round-trip text: PostgreSQL 12 and later. */
  private async floatsShortest(): Promise<boolean> {
    this.serverVersion ??= Number((await this.sql.unsafe('show server_version_num'))[0].server_version_num)
    return this.serverVersion >= 120000
  }

  private async cancelBackend(pid: number, statement: string): Promise<void> {
    const other = postgres({ ...driverOptions(this.conn), connection: { application_name: 'rivet cancel' } })
    try {
      // Only while the backend still runs the statement (pg_stat_activity may cut its text): a
      // COPY that ended meanwhile has left the backend to the connection's next query.
      await other.unsafe(
        `select pg_cancel_backend(pid) from pg_stat_activity
          where pid = $1::int and state = 'active' and query <> '' and starts_with($2::text, query)`,
        [String(pid), statement],
      )
    } finally {
      await other.end({ timeout: 1 })
    }
  }

  /** The rows through a server-side cursor, as text: for what COPY cannot read. */
  private readCursor(
    narrowed: Narrowed,
    request: ReadRequest,
    limits: BatchLimits,
  ): ReadableStream<ColumnBatch> {
    const builder = new BatchBuilder(request.columns, this.prepares(request))
    const target = this.target
    const sql = this.sql
    let cursor: AsyncIterator<DriverValue[][]> | undefined
    const rows: AsyncIterator<DriverValue[][]> = {
      async next() {
        try {
          cursor ??= sql.unsafe(narrowed.sql, narrowed.params).values().cursor(Math.min(limits.rows, 10_000))[
            Symbol.asyncIterator
          ]() as AsyncIterator<DriverValue[][]>
          return await cursor.next()
        } catch (error) {
          throw pgError(error, target)
        }
      },
      async return() {
        await cursor?.return?.()
        return { done: true, value: undefined }
      },
    }
    return batchStream(rows, builder, limits)
  }

  /**
   * The preparation of each column's text as the server writes it (logical replication sends
   * every value so): the cursor's, plus bytea, which postgres.js would have decoded itself.
   */
  textPrepares(query: string, columns: Column[]): (Prepare | undefined)[] {
    const infos = this.infos.get(query) ?? []
    return this.prepares({ query, columns }).map((prepare, i) =>
      prepare ??
        (infos[i]?.oid === PG_OID.bytea ? (v) => typeof v === 'string' ? hexToBytes(v) : v : undefined)
    )
  }

  private prepares(request: ReadRequest): (Prepare | undefined)[] {
    const infos = this.infos.get(request.query) ?? []
    return request.columns.map((column, i) => {
      const info = infos[i]
      const kind = column.type.kind
      if (info?.category === 'A' && kind === 'list') {
        const element = column.type.kind === 'list' ? column.type.element.kind : undefined
        const elementPrepare: Prepare | undefined = info.elementOid === PG_OID.bytea && element === 'bytes'
          ? (v) => typeof v === 'string' ? hexToBytes(v) : v
          : info.elementOid === PG_OID.money
          ? stripMoney
          : undefined
        return (v) => {
          const items = parsePgArray(String(v))
          return elementPrepare ? items.map((x) => x === null ? null : elementPrepare(x)) : items
        }
      }
      if (info?.oid === PG_OID.money) return stripMoney
      return undefined
    })
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 }).catch(() => {})
  }
}

const rollback = Symbol('rollback')

/** A query narrowed to a range, with the parameters it binds. */
type Narrowed = ReturnType<typeof narrowQuery>
