/**
 * Building {@link ColumnBatch}es from driver rows: each value goes through its column's
 * converter once, and a value that cannot be stored exactly (or a NULL in a NOT NULL column)
 * fails with the column named.
 */
import { sourceError } from '../errors.ts'
import { collectGarbage } from '../runtime/memory.ts'
import { type Converter, converterFor, type DriverValue } from '../types/convert.ts'
import { type Column, typeName } from '../types/output.ts'
import { type ColumnBatch, setInt64Words, type Value } from '../types/values.ts'
import { BatchColumns } from './batch-columns.ts'
import type { BatchLimits } from './source.ts'

/** A per-column step a driver needs before conversion (e.g. PostgreSQL array text). */
export type Prepare = (value: DriverValue) => DriverValue

/**
 * The converter for one output column, with the driver's preparation step (if any) before it.
 * NULL skips the preparation.
 */
export function columnConverter(column: Column, prepare?: Prepare): Converter {
  const convert = converterFor(column.type)
  return prepare ? (v: DriverValue) => convert(v === null || v === undefined ? null : prepare(v)) : convert
}

/** The error for a value that cannot be stored exactly in its column. */
export function valueError(column: Column, error: unknown): Error {
  return sourceError(
    `column "${column.name}" (${column.sourceType} -> ${typeName(column.type)}): ${
      (error as Error).message
    }; add a columns: override or cast it in the query`,
    'VALUE_UNSUPPORTED',
  )
}

/** The error for a NULL in a column described as NOT NULL. */
export function nullError(column: Column): Error {
  // A REQUIRED Parquet column cannot hold it; say so rather than fail inside the encoder.
  return sourceError(
    `column "${column.name}" was described as NOT NULL but a row holds NULL; coalesce it in the query`,
    'VALUE_UNSUPPORTED',
  )
}

function sizeOf(value: Value): number {
  if (typeof value === 'string') return value.length + 4
  if (value instanceof Uint8Array) return value.length + 4
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + sizeOf(v), 4)
  return 8
}

/**
 * Accumulates rows column by column until a batch is full. The columns flagged in `int64` take
 * their values as safe-integer numbers or bigints into an int64 vector (src/types/values.ts)
 * until a NULL or a value past int64 turns the column into an array for the rest of the batch.
 */
export class BatchBuilder {
  private readonly converters: Converter[]
  private readonly batch: BatchColumns

  /**
   * Each column converts through {@link columnConverter} with its `prepare` step, unless
   * `converters` has one for it (a driver that decodes some values into the contract itself).
   */
  constructor(
    private readonly columns: Column[],
    prepare: (Prepare | undefined)[] = [],
    converters: (Converter | undefined)[] = [],
    /**
     * Columns of a type that may arrive as an Int64Vector whose converter may hand over numbers
     * (safe integers) for it, to keep a bigint per value out of the batch.
     */
    private readonly int64: boolean[] = [],
  ) {
    this.converters = columns.map((column, i) => converters[i] ?? columnConverter(column, prepare[i]))
    this.batch = new BatchColumns(columns.map((_, c) => this.int64[c] ?? false), 1024)
  }

  /** Adds one row of driver values, in column order. */
  add(row: readonly DriverValue[]): void {
    const batch = this.batch
    batch.reserve()
    for (let c = 0; c < this.converters.length; c++) {
      let value: Value
      try {
        value = this.converters[c](row[c])
      } catch (error) {
        throw valueError(this.columns[c], error)
      }
      if (value === null && !this.columns[c].nullable) throw nullError(this.columns[c])
      const vector = batch.vectors[c]
      if (vector) {
        if (typeof value === 'number') {
          setInt64Words(batch.words[c], batch.rows, value)
          batch.bytes += 8
          continue
        }
        if (typeof value === 'bigint' && BigInt.asIntN(64, value) === value) {
          vector[batch.rows] = value
          batch.bytes += 8
          continue
        }
        batch.toArray(c)
      }
      // The contract's int64 values are bigints.
      batch.values[c].push(typeof value === 'number' && this.int64[c] ? BigInt(value) : value)
      batch.bytes += value === null ? 1 : sizeOf(value)
    }
    batch.rows++
  }

  /** Whether the batch has reached either limit. */
  full(limits: BatchLimits): boolean {
    return this.batch.rows >= limits.rows || this.batch.bytes >= limits.bytes
  }

  /** Rows added since the last {@link take}. */
  get length(): number {
    return this.batch.rows
  }

  /** Hands over the rows added so far and starts a new batch. */
  take(): ColumnBatch {
    return this.batch.take()
  }
}

/**
 * Input bytes between garbage collections. Measured at 5M rows x 8 columns (PostgreSQL, Bun):
 * peak RSS 226 -> ~165 MB for Parquet and 230 -> ~150 MB for CSV, at no measurable CPU cost.
 */
const COLLECT_EVERY_BYTES = 2 * 1024 * 1024
/** A collection may take at most this share of the time since the previous one... */
const COLLECT_MAX_SHARE = 0.1
/**
 * ...unless this much input has passed since it: the garbage between two collections is what the
 * peak RSS holds beyond the live data. Measured at 10M rows (Bun, a collection ~10 ms): PostgreSQL
 * to Parquet 135 -> 118 MB, to CSV 138 -> 110 MB, MariaDB 155 -> 142 MB, to MinIO 190-200 ->
 * 148-157 MB, for 0 to 8% more CPU (less system time offsets most of the collections' cost).
 */
const COLLECT_AT_LEAST_EVERY_BYTES = 4 * 1024 * 1024
/**
 * The same for drivers that hand over a JavaScript array per row (mysql2, tedious, SQLite,
 * postgres.js cursors): they leave more garbage per input byte than the COPY reader, so they
 * collect every 2 MB whatever a collection costs. MariaDB 10M rows to Parquet: local 132-137 ->
 * 121-127 MB, to MinIO 158-159 -> 145 MB; 10-17% more CPU locally, within 1.3x `mariadb --quick`.
 */
const ROW_DRIVER_COLLECT_AT_LEAST_EVERY_BYTES = 2 * 1024 * 1024

/**
 * Paces garbage collections by input: call it with each batch's bytes. Every
 * {@link COLLECT_EVERY_BYTES} it collects (see collectGarbage), unless collections have been
 * slow for the heap at hand, and every `atLeastEveryBytes` in any case.
 */
export function garbagePacer(
  atLeastEveryBytes: number = COLLECT_AT_LEAST_EVERY_BYTES,
  collect: () => void = collectGarbage,
  now: () => number = () => performance.now(),
): (bytes: number) => void {
  let sinceCollect = 0
  let collectAfter = 0
  return (bytes) => {
    sinceCollect += bytes
    if (sinceCollect < COLLECT_EVERY_BYTES) return
    if (now() < collectAfter && sinceCollect < atLeastEveryBytes) return
    const start = now()
    collect()
    const end = now()
    collectAfter = end + (end - start) / COLLECT_MAX_SHARE
    sinceCollect = 0
  }
}

/**
 * A stream of batches pulled from an async source of rows. Reading stops at the first error
 * and `cancel` releases the driver's cursor. Garbage is collected as {@link garbagePacer} says.
 */
export function batchStream(
  rows: AsyncIterator<readonly DriverValue[][]> | Iterator<readonly DriverValue[][]>,
  builder: BatchBuilder,
  limits: BatchLimits,
): ReadableStream<ColumnBatch> {
  let done = false
  const maybeCollect = garbagePacer(ROW_DRIVER_COLLECT_AT_LEAST_EVERY_BYTES)
  return new ReadableStream<ColumnBatch>({
    async pull(controller) {
      while (!done && !builder.full(limits)) {
        const next = await rows.next()
        if (next.done) {
          done = true
          break
        }
        for (const row of next.value) builder.add(row)
      }
      if (builder.length > 0) {
        const batch = builder.take()
        controller.enqueue(batch)
        maybeCollect(batch.bytes)
      }
      if (done) controller.close()
    },
    async cancel() {
      await rows.return?.()
    },
  }, { highWaterMark: 1 })
}
