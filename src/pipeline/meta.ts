/**
 * `meta_columns`: columns rivet appends to every row, after the query's own: when and by which
 * run it was exported, and a hash of its values a warehouse can deduplicate on.
 *
 * `_rivet_row_hash` is the lowercase hex SHA-256 of the UTF-8 bytes of the row's canonical form:
 * the JSON array (no spaces) of the query's columns in order, each value as its CSV text (the
 * text rivet's CSV writes, before quoting: exact decimals, ISO 8601 times, hex bytes, lists as
 * JSON) or `null`. It depends only on the values and their output types, never on the run, the
 * source engine or the format.
 */
import type { META_COLUMN_NAMES } from '../config/schema.ts'
import { textFormatter } from '../formats/text.ts'
import { sha256Hex } from '../runtime/hash.ts'
import type { Column } from '../types/output.ts'
import type { ColumnBatch, Value } from '../types/values.ts'

/** One of the meta columns an export may ask for. */
export type MetaColumnName = (typeof META_COLUMN_NAMES)[number]

const META_COLUMNS: Record<MetaColumnName, Column> = {
  exported_at: {
    name: '_rivet_exported_at',
    sourceType: 'rivet',
    type: { kind: 'timestamp', utc: true },
    nullable: false,
  },
  run_id: { name: '_rivet_run_id', sourceType: 'rivet', type: { kind: 'string' }, nullable: false },
  row_hash: { name: '_rivet_row_hash', sourceType: 'rivet', type: { kind: 'string' }, nullable: false },
}

/** The output columns of `names`, in the order given. */
export function metaColumns(names: readonly MetaColumnName[]): Column[] {
  return names.map((name) => META_COLUMNS[name])
}

/** The canonical form of one row (see the module's note): what `_rivet_row_hash` hashes. */
export type RowCanonical = (batch: ColumnBatch, row: number) => string

/** The canonical form of the rows of `columns`. */
export function rowCanonical(columns: Column[]): RowCanonical {
  const formatters = columns.map((c) => textFormatter(c.type))
  return (batch, row) => {
    const values = formatters.map((format, c) => {
      const value: Value = batch.columns[c][row]
      return value === null ? null : format(value)
    })
    return JSON.stringify(values)
  }
}

/**
 * Appends the meta columns of one run to batches of `columns`: the run's start and id, and each
 * row's hash.
 */
export function metaAppender(
  names: readonly MetaColumnName[],
  columns: Column[],
  runId: string,
  startedAt: Date,
): (batch: ColumnBatch) => ColumnBatch {
  const micros = BigInt(startedAt.getTime()) * 1000n
  const canonical = rowCanonical(columns)
  return (batch) => {
    const appended = names.map((name) => {
      switch (name) {
        case 'exported_at':
          return new BigInt64Array(batch.length).fill(micros)
        case 'run_id':
          return new Array<Value>(batch.length).fill(runId)
        case 'row_hash':
          return Array.from(
            { length: batch.length },
            (_, row) => sha256Hex(canonical(batch, row)),
          )
      }
    })
    const bytes = names.reduce((n, name) => n + (name === 'exported_at' ? 8 : name === 'run_id' ? 28 : 68), 0)
    return { ...batch, columns: [...batch.columns, ...appended], bytes: batch.bytes + bytes * batch.length }
  }
}
