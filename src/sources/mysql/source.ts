/**
 * MySQL and MariaDB through mysql2. Rows come over the binary protocol (a prepared statement) and
 * are read from its packets by ./rows.ts: integers, FLOAT and DOUBLE from their bytes (the text
 * protocol rounds FLOAT to 6 digits), BIGINT, DECIMAL, DATE, DATETIME and TIMESTAMP decoded into
 * the value contract, TIME and JSON as text, binary columns and BIT as bytes. Nothing passes
 * through a lossy JS number or Date. The session time zone is pinned to UTC so TIMESTAMP values
 * can't shift with the server's zone. Rows come in chunks with backpressure (./chunks.ts): the
 * connection pauses while the encoder is behind.
 */
import type { Connection, ConnectionOptions } from 'mysql2'
import type { Converter, DriverValue } from '../../types/convert.ts'
import type { Column, DescribedColumn, OutputType } from '../../types/output.ts'
import { type ColumnBatch, holdsInt64 } from '../../types/values.ts'
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
import { rowChunks } from './chunks.ts'
import { mysqlError } from './errors.ts'
import { decodes, readRowsWith } from './rows.ts'
import { describeMysqlField, MYSQL_TYPE, type MysqlField, yamlKey } from './types.ts'

function driverOptions(conn: ServerConnection): ConnectionOptions {
  let ssl: ConnectionOptions['ssl']
  if (conn.tls === 'require') ssl = { rejectUnauthorized: false }
  if (conn.tls === 'verify-ca') {
    // mysql2 hands these options to tls.connect, which skips the host name check with this.
    ssl = Object.assign({ ca: conn.ca, rejectUnauthorized: true }, { checkServerIdentity: () => undefined })
  }
  if (conn.tls === 'verify-full') ssl = { ca: conn.ca, rejectUnauthorized: true }
  return {
    host: conn.host,
    port: conn.port,
    user: conn.user,
    password: conn.password?.reveal(),
    database: conn.database,
    ssl,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    connectTimeout: 10_000,
    // How queries (checks, the catalog) read values, exactly; ./rows.ts reads exported rows the
    // same way where it doesn't decode them into the value contract.
    supportBigNumbers: true,
    bigNumberStrings: false,
    decimalNumbers: false,
    dateStrings: true,
    jsonStrings: true,
  }
}

/**
 * The shortest decimal that reads back as the same single-precision value, as PostgreSQL prints
 * a `real`: FLOAT 0.1 arrives as 0.10000000149011612 and is written (and printed in CSV) as 0.1;
 * Parquet's FLOAT rounds it back to exactly the stored bits.
 */
function shortestFloat32(x: number): number {
  if (!Number.isFinite(x) || x === 0) return x
  for (let digits = 1; digits < 9; digits++) {
    const y = Number(x.toPrecision(digits))
    if (Math.fround(y) === x) return y
  }
  return Number(x.toPrecision(9))
}

const asFloat32: Prepare = (v) => typeof v === 'number' ? shortestFloat32(v) : v

/** BIT(n) arrives as big-endian bytes. */
const bitsToBigInt: Prepare = (v) => {
  if (!(v instanceof Uint8Array)) return v
  let n = 0n
  for (const byte of v) n = (n << 8n) | BigInt(byte)
  return n
}

const latin1 = new TextDecoder('latin1')

/** Text a driver may hand over as bytes (e.g. MariaDB's UUID in a binary character set). */
const asText: Prepare = (v) => v instanceof Uint8Array ? latin1.decode(v) : v

const ZERO = 48

/**
 * MySQL's "zero" dates (`0000-00-00`, or a zero month or day) have no calendar meaning. mysql2
 * writes every date as `YYYY-MM-DD...`, so the month and day are at fixed places; comparing
 * their characters costs a fraction of a regular expression, on every temporal value read.
 */
function isZeroDate(v: string): boolean {
  return (v.charCodeAt(5) === ZERO && v.charCodeAt(6) === ZERO) ||
    (v.charCodeAt(8) === ZERO && v.charCodeAt(9) === ZERO)
}

function zeroDates(column: Column): Prepare {
  const temporal = column.type.kind === 'date' || column.type.kind === 'timestamp'
  return (v) => {
    if (typeof v !== 'string' || !isZeroDate(v)) return v
    if (column.zeroDatesAsNull) return null
    if (!temporal) return v
    throw new RangeError(
      `${v} is a MySQL zero date, which has no calendar value; export it as NULL with ` +
        `columns: { ${yamlKey(column.name)}: { zero_dates: as_null } } or as text with a string override`,
    )
  }
}

/** MySQL TIME is a duration (-838:59:59 to 838:59:59); only a time of day fits Parquet's TIME. */
function timeOfDay(column: Column): Prepare {
  return (v) => {
    if (typeof v !== 'string') return v
    const m = /^(-?)(\d+):/.exec(v)
    if (m && (m[1] === '-' || Number(m[2]) > 24 || (Number(m[2]) === 24 && !/^24:00:00(\.0*)?$/.test(v)))) {
      throw new RangeError(
        `${v} is outside a time of day (00:00:00 to 24:00:00); MySQL TIME can hold durations: ` +
          `export it as text with columns: { ${yamlKey(column.name)}: string }`,
      )
    }
    return v
  }
}

/**
 * The cast that reads a text parameter as a value of an output type. Without one, MySQL compares
 * a number column with a string as doubles, which rounds BIGINT past 2^53.
 */
function mysqlCast(type: OutputType): string | undefined {
  switch (type.kind) {
    case 'int':
      return type.signed ? 'signed' : 'unsigned'
    case 'decimal':
      return `decimal(65,${Math.min(type.scale, 30)})`
    case 'timestamp':
      return 'datetime(6)'
    case 'date':
      return 'date'
    case 'time':
      return 'time(6)'
    default:
      return undefined
  }
}

/** MySQL's and MariaDB's SQL spelling. */
export const mysqlDialect: SqlDialect = {
  quote: (identifier) => quoteIdentifier(identifier, '`'),
  param: (_index, type) => {
    const cast = mysqlCast(type)
    return cast ? `cast(? as ${cast})` : '?'
  },
  intDiv: (a, b) => `(${a}) div (${b})`,
}

/** A MySQL or MariaDB source on one connection. */
export class MysqlSource implements Source {
  readonly engine = 'mysql'
  readonly dialect = mysqlDialect
  readonly target: string
  private connection: Promise<Connection> | undefined
  private readonly fields = new Map<string, MysqlField[]>()
  /** A result is being streamed: closing must drop the connection, not wait for the rest. */
  private streaming = false

  constructor(private readonly conn: ServerConnection) {
    this.target = conn.target
  }

  private connect(): Promise<Connection> {
    if (this.connection) return this.connection
    const forget = () => {
      if (this.connection === pending) this.connection = undefined
    }
    const pending: Promise<Connection> = (async () => {
      const mysql = await import('mysql2')
      const connection = mysql.createConnection(driverOptions(this.conn))
      // A fatal error with no command waiting (the server going away between queries) is
      // emitted on the connection; without a listener it would end the process.
      connection.on('error', forget)
      await new Promise<void>((resolve, reject) => {
        connection.connect((error) => error ? reject(error) : resolve())
      })
      await this.run(connection, "set time_zone = '+00:00'")
      return connection
    })().catch((error) => {
      forget()
      throw mysqlError(error, this.target)
    })
    this.connection = pending
    return pending
  }

  private run(connection: Connection, sql: string): Promise<Record<string, unknown>[]> {
    return new Promise((resolve, reject) => {
      connection.query(
        sql,
        (error, rows) => error ? reject(error) : resolve(rows as Record<string, unknown>[]),
      )
    })
  }

  async listTables(): Promise<string[]> {
    try {
      const rows = await this.run(
        await this.connect(),
        "select table_name as name from information_schema.tables where table_schema = database() and table_type = 'BASE TABLE' order by 1",
      )
      return rows.map((r) => String(r.name))
    } catch (error) {
      throw mysqlError(error, this.target)
    }
  }

  selectAll(table: string): string {
    return `select * from ${quoteTableName(table, '`')}`
  }

  async describe(query: string): Promise<DescribedColumn[]> {
    return (await this.columnFields(query)).map(describeMysqlField)
  }

  private async columnFields(query: string): Promise<MysqlField[]> {
    const cached = this.fields.get(query)
    if (cached) return cached
    const connection = await this.connect()
    try {
      // Preparing returns the result's column definitions without running the query.
      const fields = await new Promise<MysqlField[]>((resolve, reject) => {
        connection.prepare(query, (error, statement) => {
          if (error) return reject(error)
          const columns = (statement as unknown as { columns: MysqlField[] }).columns
          // Out of mysql2's statement cache too: an execute of the same text would find it closed.
          connection.unprepare(query)
          resolve(columns)
        })
      })
      this.fields.set(query, fields)
      return fields
    } catch (error) {
      throw mysqlError(error, this.target)
    }
  }

  async estimateRows(query: string): Promise<number | undefined> {
    try {
      const rows = await this.run(await this.connect(), `explain ${query}`)
      // The largest per-table estimate is the closest single figure for a plan.
      const estimates = rows.map((r) => Number(r.rows)).filter(Number.isFinite)
      return estimates.length ? Math.max(...estimates) : undefined
    } catch {
      return undefined
    }
  }

  async queryText(sql: string, params: string[]): Promise<(string | null)[][]> {
    try {
      const connection = await this.connect()
      const rows = await new Promise<unknown[][]>((resolve, reject) => {
        connection.query(
          // Checks compare values as text, BIGINT past 2^53 included.
          { sql, values: params, rowsAsArray: true, bigNumberStrings: true },
          (error, rows) => error ? reject(error) : resolve(rows as unknown[][]),
        )
      })
      return rows.map((row) =>
        row.map((v) => v === null ? null : v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v))
      )
    } catch (error) {
      throw mysqlError(error, this.target)
    }
  }

  read(request: ReadRequest, limits: BatchLimits): ReadableStream<ColumnBatch> {
    const narrowed = narrowQuery(request.query, request.range, this.dialect)
    // The pipeline describes a query before reading it, so its fields are known here.
    const fields = this.fields.get(request.query) ?? []
    const decoded = request.columns.map((column, i) => fields[i] !== undefined && decodes(fields[i], column))
    const prepares = request.columns.map((c, i) => prepareFor(c, fields[i]))
    const builder = new BatchBuilder(
      request.columns,
      prepares,
      // A decoded value is already in the contract; text (a zero date) converts as before.
      decoded.map((yes, i) =>
        yes ? decodedOrText(columnConverter(request.columns[i], prepares[i])) : undefined
      ),
      // Decoded int64 values come as numbers where safe (./rows.ts), into int64 vectors.
      decoded.map((yes, i) => yes && holdsInt64(request.columns[i].type)),
    )
    let rows: AsyncIterator<DriverValue[][]> | undefined
    const chunks: AsyncIterator<DriverValue[][]> = {
      next: async () => {
        try {
          if (!rows) {
            // A result abandoned earlier would hold the connection: start afresh.
            if (this.streaming) this.drop()
            const connection = await this.connect()
            this.streaming = true
            const command = connection.execute({ sql: narrowed.sql, values: narrowed.params })
            // mysql2 reports a connection lost mid-result (reset, closed by a proxy or the server)
            // on the connection, not on a command without a callback: handed to the command, it
            // fails the read with exit 3 instead of leaving it waiting forever.
            const lost = (error: unknown) => command.emit('error', error)
            connection.on('error', lost)
            const detach = () => connection.off('error', lost)
            command.once('end', detach)
            command.once('error', detach)
            readRowsWith(command, request.columns, decoded)
            rows = rowChunks(command, connection, Math.min(limits.rows, 1000))
          }
          const chunk = await rows.next()
          if (chunk.done) this.streaming = false
          return chunk
        } catch (error) {
          throw mysqlError(error, this.target)
        }
      },
      return: async () => {
        // Reading the rest of a result just to discard it could take as long as the export.
        if (this.streaming) this.drop()
        await rows?.return?.()
        return { done: true, value: undefined }
      },
    }
    return batchStream(chunks, builder, limits)
  }

  /** Drops the connection at once, abandoning whatever it is streaming. */
  private drop(): void {
    const pending = this.connection
    this.connection = undefined
    this.streaming = false
    pending?.then((connection) => connection.destroy(), () => undefined)
  }

  async close(): Promise<void> {
    if (this.streaming) return this.drop()
    const connection = await this.connection?.catch(() => undefined)
    this.connection = undefined
    if (!connection) return
    await new Promise<void>((resolve) => connection.end(() => resolve()))
  }
}

const decodedOrText = (text: Converter): Converter => (v) =>
  typeof v === 'number' || typeof v === 'bigint' ? v : text(v)

/** What a value needs before conversion to the column's output type, by the field it came from. */
function prepareFor(column: Column, field: MysqlField | undefined): Prepare | undefined {
  if (!field) return undefined
  switch (field.columnType) {
    case MYSQL_TYPE.bit:
      // bool takes 0n/1n and fails on anything else; a bytes override keeps the bytes.
      return column.type.kind === 'bytes' ? undefined : bitsToBigInt
    case MYSQL_TYPE.float:
      // Widened to float64, the stored value is kept to the last bit.
      return column.type.kind === 'float' && column.type.bits === 64 ? undefined : asFloat32
    case MYSQL_TYPE.date:
    case MYSQL_TYPE.datetime:
    case MYSQL_TYPE.timestamp:
      return zeroDates(column)
    case MYSQL_TYPE.time:
      return column.type.kind === 'time' ? timeOfDay(column) : undefined
  }
  return field.extendedTypeName === 'uuid' ? asText : undefined
}
