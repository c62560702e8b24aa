/**
 * MySQL and MariaDB through mysql2. Values arrive as the server's raw text (or bytes for binary
 * columns and BIT) with `typeCast: false`, so nothing is parsed into a JS number or Date before
 * src/types converts it exactly. The session time zone is pinned to UTC so TIMESTAMP values
 * can't shift with the server's zone. Rows stream with backpressure: the connection pauses
 * while the encoder is behind.
 */
import type { Connection, ConnectionOptions } from 'mysql2'
import type { DriverValue } from '../../types/convert.ts'
import type { Column, DescribedColumn } from '../../types/output.ts'
import type { ColumnBatch } from '../../types/values.ts'
import { BatchBuilder, batchStream, type Prepare } from '../batch.ts'
import type { ServerConnection } from '../connection.ts'
import { type BatchLimits, quoteTableName, type ReadRequest, type Source } from '../source.ts'
import { mysqlError } from './errors.ts'
import { describeMysqlField, MYSQL_TYPE, type MysqlField } from './types.ts'

type Raw = Uint8Array | null

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
    supportBigNumbers: true,
    bigNumberStrings: true,
  }
}

const latin1 = new TextDecoder('latin1')
const asText: Prepare = (v) => v instanceof Uint8Array ? latin1.decode(v) : v

/** BIT(n) arrives as big-endian bytes. */
const bitsToBigInt: Prepare = (v) => {
  if (!(v instanceof Uint8Array)) return v
  let n = 0n
  for (const byte of v) n = (n << 8n) | BigInt(byte)
  return n
}

/** MySQL's "zero" dates (`0000-00-00`, or a zero month or day) have no calendar meaning. */
const zeroDate = /^\d{4}-00-|^\d{4}-\d\d-00|^0000-00-00/

function zeroDatesToNull(prepare: Prepare): Prepare {
  return (v) => {
    const text = prepare(v)
    return typeof text === 'string' && zeroDate.test(text) ? null : text
  }
}

/** A MySQL or MariaDB source on one connection. */
export class MysqlSource implements Source {
  readonly engine = 'mysql'
  readonly target: string
  private connection: Promise<Connection> | undefined
  private readonly fields = new Map<string, MysqlField[]>()

  constructor(private readonly conn: ServerConnection) {
    this.target = conn.target
  }

  private connect(): Promise<Connection> {
    this.connection ??= (async () => {
      const mysql = await import('mysql2')
      const connection = mysql.createConnection(driverOptions(this.conn))
      await new Promise<void>((resolve, reject) => {
        connection.connect((error) => error ? reject(error) : resolve())
      })
      await this.run(connection, "set time_zone = '+00:00'")
      return connection
    })().catch((error) => {
      this.connection = undefined
      throw mysqlError(error, this.target)
    })
    return this.connection
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
          statement.close()
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

  read(request: ReadRequest, limits: BatchLimits): ReadableStream<ColumnBatch> {
    const target = this.target
    const connect = () => this.connect()
    // The pipeline describes a query before reading it, so its fields are known here.
    const fields = this.fields.get(request.query) ?? []
    const builder = new BatchBuilder(
      request.columns,
      request.columns.map((c, i) => this.prepare(c, fields[i])),
    )
    const chunkRows = Math.min(limits.rows, 1000)
    let rows: AsyncIterator<Raw[]> | undefined
    const chunks: AsyncIterator<DriverValue[][]> = {
      async next() {
        try {
          rows ??= (await connect()).query({ sql: request.query, rowsAsArray: true, typeCast: false })
            .stream({ highWaterMark: chunkRows })[Symbol.asyncIterator]() as AsyncIterator<Raw[]>
          const chunk: DriverValue[][] = []
          while (chunk.length < chunkRows) {
            const next = await rows.next()
            if (next.done) break
            chunk.push(next.value)
          }
          return chunk.length ? { done: false, value: chunk } : { done: true, value: undefined }
        } catch (error) {
          throw mysqlError(error, target)
        }
      },
      async return() {
        await rows?.return?.()
        return { done: true, value: undefined }
      },
    }
    return batchStream(chunks, builder, limits)
  }

  /** What a raw value needs before conversion to the column's output type. */
  private prepare(column: Column, field: MysqlField | undefined): Prepare | undefined {
    if (!field) return asText
    if (field.columnType === MYSQL_TYPE.bit && column.type.kind !== 'bool' && column.type.kind !== 'bytes') {
      return bitsToBigInt
    }
    if (field.columnType === MYSQL_TYPE.bit) return (v) => v instanceof Uint8Array ? v[v.length - 1] !== 0 : v
    // Strings and bytes convert from bytes themselves (UTF-8 is checked on the way).
    if (column.type.kind === 'string' || column.type.kind === 'json' || column.type.kind === 'bytes') {
      return undefined
    }
    return column.zeroDatesAsNull ? zeroDatesToNull(asText) : asText
  }

  async close(): Promise<void> {
    const connection = await this.connection?.catch(() => undefined)
    if (!connection) return
    await new Promise<void>((resolve) => connection.end(() => resolve()))
  }
}
