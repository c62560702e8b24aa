/**
 * SQLite, the embedded default. Types come from the declared column types (SQLite's affinity
 * rules, plus the common names for dates, decimals, booleans, JSON and UUIDs); an expression
 * without a declared type needs a `columns:` override.
 */
import { sourceError } from '../errors.ts'
import { openSqlite, type SqliteDatabase } from '../runtime/sqlite.ts'
import type { DescribedColumn, OutputType } from '../types/output.ts'
import type { ColumnBatch } from '../types/values.ts'
import { BatchBuilder, batchStream } from './batch.ts'
import {
  type BatchLimits,
  narrowQuery,
  quoteIdentifier,
  quoteTableName,
  type ReadRequest,
  type Source,
  type SqlDialect,
} from './source.ts'

/** Maps a declared SQLite type to an output type, or undefined when it can't be exact. */
export function sqliteType(declared: string): OutputType | undefined {
  const t = declared.toUpperCase()
  const dec = /^(?:DECIMAL|NUMERIC)\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)/.exec(t)
  if (dec) return { kind: 'decimal', precision: Number(dec[1]), scale: Number(dec[2]) }
  if (t.startsWith('BOOL')) return { kind: 'bool' }
  if (t === 'DATE') return { kind: 'date' }
  if (t === 'DATETIME' || t.startsWith('TIMESTAMP')) {
    return { kind: 'timestamp', utc: /TZ|WITH TIME ZONE/.test(t) }
  }
  if (t === 'TIME') return { kind: 'time' }
  if (t === 'JSON' || t === 'JSONB') return { kind: 'json' }
  if (t === 'UUID') return { kind: 'uuid' }
  // SQLite's own affinity rules, in their order.
  if (t.includes('INT')) return { kind: 'int', bits: 64, signed: true }
  if (t.includes('CHAR') || t.includes('CLOB') || t.includes('TEXT')) return { kind: 'string' }
  if (t.includes('BLOB') || t === '') return { kind: 'bytes' }
  if (t.includes('REAL') || t.includes('FLOA') || t.includes('DOUB')) return { kind: 'float', bits: 64 }
  return undefined
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

/**
 * SQLite's SQL spelling. Numbers are cast so they compare as numbers whatever affinity the
 * derived table's column has; dates and times compare as the text SQLite stores them as, so a
 * timestamp bound drops the zeros of its fraction: `10:00:00` and `10:00:00.000` both sort at or
 * after `10:00:00`, where `10:00:00.000000` would sort after the value it stands for.
 */
export const sqliteDialect: SqlDialect = {
  quote: (identifier) => quoteIdentifier(identifier, '"'),
  param: (_index, type) =>
    type.kind === 'int'
      ? 'cast(? as integer)'
      : type.kind === 'decimal' || type.kind === 'float'
      ? 'cast(? as numeric)'
      : '?',
  intDiv: (a, b) => `(${a}) / (${b})`,
  paramValue: (text, type) =>
    type.kind === 'timestamp' ? text.replace(/\.(\d*?)0*$/, (_, digits) => digits ? `.${digits}` : '') : text,
}

/** A SQLite database file, opened read-only. */
export class SqliteSource implements Source {
  readonly engine = 'sqlite'
  readonly dialect = sqliteDialect
  readonly target: string
  /** Queries made by {@link selectAll}, and their table. */
  private readonly tables = new Map<string, string>()

  private constructor(private readonly db: SqliteDatabase, path: string) {
    this.target = path
  }

  /** Opens the file; a missing or unreadable file is a source error (exit 3). */
  static async open(path: string): Promise<SqliteSource> {
    try {
      return new SqliteSource(await openSqlite(path), path)
    } catch (error) {
      throw sourceError(
        `cannot open SQLite database ${path}: ${(error as Error).message}`,
        'SOURCE_UNREACHABLE',
        error,
      )
    }
  }

  listTables(): Promise<string[]> {
    const rows = this.db.iterate(
      "select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name",
    )
    return Promise.resolve([...rows].map((r) => String(r[0])))
  }

  selectAll(table: string): string {
    const query = `select * from ${quoteTableName(table, '"')}`
    this.tables.set(query, table)
    return query
  }

  /** NOT NULL columns of a whole-table export; a query's columns may be NULL whatever the table says. */
  private notNull(query: string): Set<string> {
    const table = this.tables.get(query)
    if (!table) return new Set()
    const rows = this.db.iterate(`select name from pragma_table_info(${sqlString(table)}) where "notnull"`)
    return new Set([...rows].map((r) => String(r[0])))
  }

  describe(query: string): Promise<DescribedColumn[]> {
    try {
      const columns = this.db.columns(query)
      const notNull = this.notNull(query)
      return Promise.resolve(columns.map(({ name, declaredType }) => {
        const sourceType = declaredType ?? '(expression)'
        const type = declaredType === null ? undefined : sqliteType(declaredType)
        if (type) return { name, sourceType, nullable: !notNull.has(name), type, fidelity: 'exact' as const }
        return {
          name,
          sourceType,
          nullable: true,
          fidelity: 'unsupported' as const,
          suggestedOverride: 'string',
          hint: `no exact type for ${sourceType}: add an override, e.g. columns: { ${name}: "string" }`,
        }
      }))
    } catch (error) {
      return Promise.reject(
        sourceError(`SQLite ${this.target}: ${(error as Error).message}`, 'SOURCE_QUERY', error),
      )
    }
  }

  estimateRows(): Promise<number | undefined> {
    return Promise.resolve(undefined)
  }

  queryText(sql: string, params: string[]): Promise<(string | null)[][]> {
    try {
      const rows = [...this.db.iterate(sql, params)]
      return Promise.resolve(
        rows.map((row) =>
          row.map((v) =>
            v === null ? null : v instanceof Uint8Array ? new TextDecoder().decode(v) : String(v)
          )
        ),
      )
    } catch (error) {
      return Promise.reject(
        sourceError(`SQLite ${this.target}: ${(error as Error).message}`, 'SOURCE_QUERY', error),
      )
    }
  }

  read(request: ReadRequest, limits: BatchLimits): ReadableStream<ColumnBatch> {
    const narrowed = narrowQuery(request.query, request.range, this.dialect)
    const rows = this.db.iterate(narrowed.sql, narrowed.params)
    const batches = {
      next() {
        const chunk = []
        for (let i = 0; i < 1000; i++) {
          const next = rows.next()
          if (next.done) break
          chunk.push(next.value)
        }
        return chunk.length
          ? { done: false as const, value: chunk }
          : { done: true as const, value: undefined }
      },
      return() {
        rows.return?.()
        return { done: true as const, value: undefined }
      },
    }
    return batchStream(batches, new BatchBuilder(request.columns), limits)
  }

  close(): Promise<void> {
    this.db.close()
    return Promise.resolve()
  }
}
