/**
 * The seam between databases and the rest of rivet. A source knows its driver and its engine's
 * types; it hands the pipeline described columns and a stream of {@link ColumnBatch}es whose
 * values follow the contract in src/types/values.ts.
 */
import type { Column, DescribedColumn, OutputType } from '../types/output.ts'
import type { ColumnBatch } from '../types/values.ts'

/**
 * A slice of a query along one of its columns: what incremental cursors, chunks and time windows
 * read. Bounds are text in the form src/pipeline/bounds.ts writes (`2026-11-22 10:00:00.000001`,
 * `42`); the source binds them as parameters of the column's type.
 */
export interface ColumnRange {
  /** The output column it bounds. */
  column: Column
  /** Inclusive lower bound. */
  from?: string
  /** Exclusive upper bound. */
  below?: string
  /** Only the rows where the column is NULL (the bounds are then ignored). */
  nulls?: boolean
}

/** What to read: a SQL query (a `table:` export becomes `select * from <table>`). */
export interface ReadRequest {
  /** The query as described; a source keys what it learned in `describe` by this text. */
  query: string
  /** The output columns, as planned from {@link Source.describe} plus overrides, in order. */
  columns: Column[]
  /** Reads only this slice of the query's rows. */
  range?: ColumnRange
  /**
   * The reader only writes the rows as CSV and looks at no value: a source may send batches of
   * CSV records (`ColumnBatch.csv`) instead, when its database writes them faster. Sources
   * without such a path ignore it.
   */
  csv?: boolean
}

/** How an engine spells the few pieces of SQL the pipeline composes around a user's query. */
export interface SqlDialect {
  /** Quotes an identifier (a column name). */
  quote(identifier: string): string
  /** The placeholder of parameter `index` (0-based), read as a value of `type`. */
  param(index: number, type: OutputType): string
  /** Integer division of two non-negative integer expressions. */
  intDiv(a: string, b: string): string
  /** The bound text as the engine should receive it, when it differs (e.g. dates kept as text). */
  paramValue?(text: string, type: OutputType): string
}

/** Limits on one batch; a batch ends at whichever is reached first. */
export interface BatchLimits {
  rows: number
  bytes: number
}

/** A connected database. */
export interface Source {
  /** Engine name for manifests and messages: `postgres`, `sqlite`, ... */
  readonly engine: string
  /** Where it connects, for messages, without secrets: `127.0.0.1:5432/test`. */
  readonly target: string
  /** The tables a user would export (`schema.table` where the engine has schemas), for `rivet init`. */
  listTables(): Promise<string[]>
  /** The query that reads a whole table, with the engine's identifier quoting. */
  selectAll(table: string): string
  /** The columns a query returns, with their mapped output types. Runs nothing that writes. */
  describe(query: string): Promise<DescribedColumn[]>
  /** The planner's estimate of the rows a query returns, if the engine has one. */
  estimateRows(query: string): Promise<number | undefined>
  /** The rows of a query in bounded batches; the stream pulls from the database as it is read. */
  read(request: ReadRequest, limits: BatchLimits): ReadableStream<ColumnBatch>
  /** The engine's SQL spelling, for the planning queries and ranges the pipeline builds. */
  readonly dialect: SqlDialect
  /**
   * Runs a small read-only query (bounds, counts) with text parameters and returns its rows with
   * every value as text, or null.
   */
  queryText(sql: string, params: string[]): Promise<(string | null)[][]>
  /** Change data capture from the engine's own change log, where rivet has it. */
  readonly capture?: ChangeCapture
  /** Closes connections. Safe to call more than once. */
  close(): Promise<void>
}

/**
 * The columns a change row carries after the table's own: what happened (`r` snapshot, `c`
 * insert, `u` update, `d` delete, `t` truncate), the position of its transaction in the change
 * log (text that sorts in commit order), the commit time, the order within the transaction, and
 * the columns whose value the server did not send (an unchanged TOASTed value without the old
 * row to take it from), comma-separated, else NULL.
 */
export const CHANGE_COLUMNS: readonly Column[] = [
  { name: '_rivet_op', sourceType: 'rivet', type: { kind: 'string' }, nullable: false },
  { name: '_rivet_position', sourceType: 'rivet', type: { kind: 'string' }, nullable: false },
  { name: '_rivet_commit_ts', sourceType: 'rivet', type: { kind: 'timestamp', utc: true }, nullable: true },
  { name: '_rivet_seq', sourceType: 'rivet', type: { kind: 'int', bits: 64, signed: true }, nullable: false },
  { name: '_rivet_unchanged', sourceType: 'rivet', type: { kind: 'string' }, nullable: true },
]

/** What a capture reads: one table, through a named slot and publication (or their equivalents). */
export interface CaptureTarget {
  /** `schema.table`. */
  table: string
  slot: string
  publication: string
}

/** Whether the server can capture changes, and the state of an export's slot. */
export interface CaptureStatus {
  /** The server setting that decides it, as `name = value`. */
  setting: string
  /** Undefined when the server is ready; else the exact change to make. */
  fix: string | undefined
  /** The export's slot, when it exists. */
  slot:
    | {
      /** A process is reading it now. */
      active: boolean
      /** Change log the server keeps for it, in bytes (a forgotten slot fills the disk). */
      retainedBytes: number
      /** Change log written since its last confirmed position, in bytes. */
      lagBytes: number
      /** Its last confirmed position. */
      confirmed: string | null
    }
    | undefined
}

/** A bounded read of changes, opened by {@link ChangeCapture.open}. */
export interface ChangeFeed {
  /** Whether this read begins with a snapshot of the table (`_rivet_op = r` rows). */
  readonly snapshot: boolean
  /**
   * The rows (the table's columns, then `_rivet_op`, `_rivet_position`, `_rivet_commit_ts`,
   * `_rivet_seq`, `_rivet_unchanged`) of the snapshot and then of every transaction committed
   * up to the server's position when the feed was opened; a batch ends only between
   * transactions, so a part never splits one.
   */
  readonly batches: ReadableStream<ColumnBatch>
  /**
   * Set when the read ended before the server's position because the table's columns changed:
   * what changed. The next read goes on from there with the columns as they are then.
   */
  readonly stopped: string | undefined
  /** The position every change read so far is at or before: what the export commits. */
  position(): string
  /**
   * Tells the server that everything up to {@link position} is kept: it may discard that change
   * log. Only after the manifest and state that hold those changes are written.
   */
  confirm(): Promise<void>
  /** Ends the read; changes not confirmed are read again by the next one. */
  close(): Promise<void>
}

/** An engine's change data capture. */
export interface ChangeCapture {
  /** The server's configuration and the slot's state; creates and changes nothing. */
  status(target: CaptureTarget): Promise<CaptureStatus>
  /**
   * Checks the server, the privileges and the table, creates the publication and slot when they
   * do not exist yet, and opens a read from `from` (a position a previous run committed;
   * undefined: a first run, which starts with a snapshot consistent with the slot). `replace`: the
   * slot, if there is one, was made by a first run of this export that never committed, and is
   * made again.
   */
  open(
    target: CaptureTarget,
    columns: Column[],
    from: string | undefined,
    replace: boolean,
    limits: BatchLimits,
  ): Promise<ChangeFeed>
  /** Removes the slot and the publication; says which of them existed. */
  drop(target: CaptureTarget): Promise<{ slot: boolean; publication: boolean }>
}

/** Quotes one identifier for SQL with the engine's identifier quote. */
export function quoteIdentifier(name: string, quote: '"' | '`' | '[]'): string {
  if (quote === '[]') return `[${name.replace(/]/g, ']]')}]`
  return quote + name.replaceAll(quote, quote + quote) + quote
}

/** Quotes a `schema.table` name for SQL with the engine's identifier quote. */
export function quoteTableName(table: string, quote: '"' | '`' | '[]'): string {
  return table.split('.').map((part) => quoteIdentifier(part, quote)).join('.')
}

/**
 * The query narrowed to a range, as SQL over the query as a derived table plus the parameters
 * it binds, in the order of their placeholders.
 */
export function narrowQuery(
  query: string,
  range: ColumnRange | undefined,
  dialect: SqlDialect,
): { sql: string; params: string[] } {
  if (!range) return { sql: query, params: [] }
  const column = `rivet_range.${dialect.quote(range.column.name)}`
  const params: string[] = []
  const where: string[] = []
  if (range.nulls) {
    where.push(`${column} is null`)
  } else {
    if (range.from !== undefined) {
      where.push(`${column} >= ${dialect.param(params.length, range.column.type)}`)
      params.push(dialect.paramValue?.(range.from, range.column.type) ?? range.from)
    }
    if (range.below !== undefined) {
      where.push(`${column} < ${dialect.param(params.length, range.column.type)}`)
      params.push(dialect.paramValue?.(range.below, range.column.type) ?? range.below)
    }
  }
  if (!where.length) return { sql: query, params }
  return { sql: `select * from (${query}) as rivet_range where ${where.join(' and ')}`, params }
}
