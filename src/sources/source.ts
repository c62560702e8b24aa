/**
 * The seam between databases and the rest of rivet. A source knows its driver and its engine's
 * types; it hands the pipeline described columns and a stream of {@link ColumnBatch}es whose
 * values follow the contract in src/types/values.ts.
 */
import type { Column, DescribedColumn } from '../types/output.ts'
import type { ColumnBatch } from '../types/values.ts'

/** What to read: a SQL query (a `table:` export becomes `select * from <table>`). */
export interface ReadRequest {
  query: string
  /** The output columns, as planned from {@link Source.describe} plus overrides, in order. */
  columns: Column[]
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
  /** Closes connections. Safe to call more than once. */
  close(): Promise<void>
}

/** Quotes a `schema.table` name for SQL with the engine's identifier quote. */
export function quoteTableName(table: string, quote: '"' | '`' | '[]'): string {
  return table.split('.').map((part) => {
    if (quote === '[]') return `[${part.replace(/]/g, ']]')}]`
    return quote + part.replaceAll(quote, quote + quote) + quote
  }).join('.')
}
