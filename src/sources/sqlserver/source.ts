/**
 * SQL Server through tedious, loaded only when a SQL Server source is opened (importing it costs
 * ~165 ms). Columns are described with `sp_describe_first_result_set`, which runs nothing. tedious
 * reads decimals into JS numbers and temporal types into JS Dates, so the query rivet runs
 * converts those columns to text on the server (see `exactQuery` in types.ts) and src/types
 * parses the text exactly. Rows stream with pause/resume backpressure (rows.ts).
 */
import type { Connection, ConnectionConfiguration, Request } from 'tedious'
import { type RivetError, sourceError } from '../../errors.ts'
import type { DriverValue } from '../../types/convert.ts'
import type { DescribedColumn, OutputType } from '../../types/output.ts'
import type { ColumnBatch } from '../../types/values.ts'
import { BatchBuilder, batchStream } from '../batch.ts'
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
import { type LoginMessage, sqlServerError, sqlServerLoginError } from './errors.ts'
import { RowQueue } from './rows.ts'
import { describeSqlServerColumn, exactQuery, type SqlServerColumnInfo, wrapHint } from './types.ts'

type Tedious = typeof import('tedious')

let tediousModule: Promise<Tedious> | undefined

function loadTedious(): Promise<Tedious> {
  // A CommonJS package: Bun and Deno expose its exports as the namespace and as `default`.
  tediousModule ??= import('tedious').then((m) => (m as { default?: Tedious }).default ?? m)
  return tediousModule
}

function driverConfig(conn: ServerConnection): ConnectionConfiguration {
  const verify = conn.tls === 'verify-ca' || conn.tls === 'verify-full'
  return {
    server: conn.host,
    authentication: {
      type: 'default',
      options: { userName: conn.user, password: conn.password?.reveal() ?? '' },
    },
    options: {
      port: conn.port,
      database: conn.database,
      // tedious checks the certificate chain and the host name together, so verify-ca is as
      // strict as verify-full here: never weaker than asked.
      encrypt: conn.tls !== 'disable',
      trustServerCertificate: conn.tls === 'require',
      ...(verify && conn.ca ? { cryptoCredentialsDetails: { ca: conn.ca } } : {}),
      // The largest TDS packet: a bulk read costs tedious per packet (2-3x faster than the 4 KB
      // default through the test double); the server may negotiate it down.
      packetSize: 32_767,
      connectTimeout: 15_000,
      // 0 = no limit: a big export's first row may take long, and a timeout would kill it.
      requestTimeout: 0,
      appName: 'rivet',
      useColumnNames: false,
      rowCollectionOnDone: false,
      rowCollectionOnRequestCompletion: false,
    },
  }
}

/** A string literal for T-SQL. */
function nString(text: string): string {
  return `N'${text.replaceAll("'", "''")}'`
}

function describeSql(query: string): string {
  return `exec sp_describe_first_result_set @tsql = ${nString(query)}`
}

/** The SQL Server type a text parameter is cast to for comparing with a column of `type`. */
function sqlServerCast(type: OutputType): string {
  switch (type.kind) {
    case 'int':
      return 'bigint'
    case 'decimal':
      return `decimal(38,${Math.min(type.scale, 38)})`
    case 'float':
      return 'float'
    case 'timestamp':
      return type.utc ? 'datetimeoffset(7)' : 'datetime2(7)'
    case 'date':
      return 'date'
    case 'time':
      return 'time(7)'
    case 'uuid':
      return 'uniqueidentifier'
    default:
      return 'nvarchar(max)'
  }
}

/** SQL Server's SQL spelling; parameters are variables that {@link declareParams} declares. */
export const sqlServerDialect: SqlDialect = {
  quote: (identifier) => quoteIdentifier(identifier, '[]'),
  param: (index, type) => `cast(@p${index} as ${sqlServerCast(type)})`,
  intDiv: (a, b) => `(${a}) / (${b})`,
}

/**
 * A batch that declares the parameters as variables before `sql`. Batches need no RPC round
 * trip and read the same through every client; the values are N'' literals with quotes doubled,
 * which SQL Server reads verbatim (it has no backslash escapes).
 */
function declareParams(sql: string, params: string[]): string {
  if (!params.length) return sql
  const vars = params.map((p, i) => `@p${i} nvarchar(max) = ${nString(p)}`)
  return `declare ${vars.join(', ')};\n${sql}`
}

/** A SQL Server source on one connection. */
export class SqlServerSource implements Source {
  readonly engine = 'sqlserver'
  readonly dialect = sqlServerDialect
  readonly target: string
  private connection: Promise<Connection> | undefined
  private readonly infos = new Map<string, SqlServerColumnInfo[]>()
  /** Queries that read a whole table -> the quoted table, for NOT NULL and the row estimate. */
  private readonly tables = new Map<string, string>()

  constructor(private readonly conn: ServerConnection) {
    this.target = conn.target
  }

  private connect(): Promise<Connection> {
    this.connection ??= (async () => {
      const { Connection } = await loadTedious()
      const connection = new Connection(driverConfig(this.conn))
      // Errors of an idle connection; the next request fails with its own.
      connection.on('error', () => {})
      const loginMessages: LoginMessage[] = []
      const onLoginMessage = (m: LoginMessage) => loginMessages.push(m)
      connection.on('errorMessage', onLoginMessage)
      await new Promise<void>((resolve, reject) => {
        connection.connect((error) =>
          error ? reject(sqlServerLoginError(error, loginMessages[0], this.target)) : resolve()
        )
      })
      connection.off('errorMessage', onLoginMessage)
      return connection
    })()
    return this.connection
  }

  /** Runs a small query and collects its rows as objects keyed by column name. */
  private async query(sql: string): Promise<Record<string, unknown>[]> {
    const connection = await this.connect()
    const { Request } = await loadTedious()
    return await new Promise((resolve, reject) => {
      const rows: Record<string, unknown>[] = []
      const request = new Request(
        sql,
        (error) => error ? reject(sqlServerError(error, this.target)) : resolve(rows),
      )
      request.on('row', (columns: { value: unknown; metadata: { colName: string } }[]) => {
        rows.push(Object.fromEntries(columns.map((c) => [c.metadata.colName, c.value])))
      })
      connection.execSqlBatch(request)
    })
  }

  async listTables(): Promise<string[]> {
    const rows = await this.query(
      `select s.name + '.' + t.name as name from sys.tables as t ` +
        `join sys.schemas as s on s.schema_id = t.schema_id where t.is_ms_shipped = 0 order by 1`,
    )
    return rows.map((r) => String(r.name))
  }

  selectAll(table: string): string {
    const quoted = quoteTableName(table, '[]')
    const query = `select * from ${quoted}`
    this.tables.set(query, quoted)
    return query
  }

  async describe(query: string): Promise<DescribedColumn[]> {
    return (await this.columnInfos(query)).map(describeSqlServerColumn)
  }

  private async columnInfos(query: string): Promise<SqlServerColumnInfo[]> {
    const cached = this.infos.get(query)
    if (cached) return cached
    const rows = (await this.query(describeSql(query))).filter((r) => !r.is_hidden)
    if (rows.length === 0) {
      throw sourceError(
        `SQL Server at ${this.target}: the query returns no result set to export`,
        'SOURCE_QUERY',
      )
    }
    // Any other query may null a NOT NULL column (outer joins, grouping), so only a whole
    // table's NOT NULL columns are trusted to stay that way.
    const table = this.tables.has(query)
    const infos = rows.map((r, i): SqlServerColumnInfo => {
      if (!r.name) {
        const message = `column ${i + 1} of the query has no name; give it one with "as name"`
        throw sourceError(`SQL Server at ${this.target}: ${message}`, 'SOURCE_QUERY')
      }
      return {
        name: String(r.name),
        typeName: String(r.system_type_name),
        precision: Number(r.precision ?? 0),
        scale: Number(r.scale ?? 0),
        nullable: !table || Boolean(r.is_nullable),
      }
    })
    const exact = exactQuery(query, infos)
    if (exact !== query) {
      // Checked here, so that `check` reports a query that cannot be wrapped before `run` starts.
      await this.query(describeSql(exact)).catch((error: RivetError) => {
        // Only the server refusing the wrapped query is about the wrapping.
        if (error.code !== 'SOURCE_QUERY') throw error
        throw sourceError(`${error.message}; ${wrapHint}`, 'SOURCE_QUERY', error)
      })
    }
    this.infos.set(query, infos)
    return infos
  }

  async estimateRows(query: string): Promise<number | undefined> {
    // A table's row count is in its catalog at no cost; a query's would need a showplan.
    const table = this.tables.get(query)
    if (!table) return undefined
    const [row] = await this.query(
      `select sum(p.rows) as n from sys.partitions as p ` +
        `where p.object_id = object_id(${nString(table)}) and p.index_id in (0, 1)`,
    )
    return row?.n === null || row?.n === undefined ? undefined : Number(row.n)
  }

  async queryText(sql: string, params: string[]): Promise<(string | null)[][]> {
    const rows = await this.query(declareParams(sql, params))
    return rows.map((row) =>
      Object.values(row).map((v) =>
        v === null || v === undefined
          ? null
          : v instanceof Date
          ? v.toISOString().replace('T', ' ').replace('Z', '')
          : String(v)
      )
    )
  }

  read(request: ReadRequest, limits: BatchLimits): ReadableStream<ColumnBatch> {
    const narrowed = narrowQuery(request.query, request.range, this.dialect)
    let queue: RowQueue | undefined
    const builder = new BatchBuilder(request.columns)
    const rows: AsyncIterator<DriverValue[][]> = {
      next: async () => {
        if (!queue) {
          queue = await this.start(
            declareParams(exactQuery(narrowed.sql, await this.columnInfos(request.query)), narrowed.params),
            limits,
          )
        }
        return await queue.next()
      },
      return: () => queue?.return() ?? Promise.resolve({ done: true, value: undefined }),
    }
    return batchStream(rows, builder, limits)
  }

  private async start(sql: string, limits: BatchLimits): Promise<RowQueue> {
    const connection = await this.connect()
    const { Request } = await loadTedious()
    let queue: RowQueue | undefined = undefined
    const request: Request = new Request(sql, (error) => {
      queue!.finish(error ? sqlServerError(error, this.target) : undefined)
    })
    queue = new RowQueue(request, limits, () => connection.cancel())
    connection.execSqlBatch(request)
    return queue
  }

  async close(): Promise<void> {
    const pending = this.connection
    this.connection = undefined
    const connection = await pending?.catch(() => undefined)
    if (!connection || connection.closed) return
    await new Promise<void>((resolve) => {
      connection.once('end', () => resolve())
      connection.close()
    })
  }
}
