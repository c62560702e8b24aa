/**
 * Building {@link ColumnBatch}es from driver rows: each value goes through its column's
 * converter once, and a value that cannot be stored exactly (or a NULL in a NOT NULL column)
 * fails with the column named.
 */
import { sourceError } from '../errors.ts'
import { type Converter, converterFor, type DriverValue } from '../types/convert.ts'
import { type Column, typeName } from '../types/output.ts'
import type { ColumnBatch, Value } from '../types/values.ts'
import type { BatchLimits } from './source.ts'

/** A per-column step a driver needs before conversion (e.g. PostgreSQL array text). */
export type Prepare = (value: DriverValue) => DriverValue

function sizeOf(value: Value): number {
  if (typeof value === 'string') return value.length + 4
  if (value instanceof Uint8Array) return value.length + 4
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + sizeOf(v), 4)
  return 8
}

/** Accumulates rows column by column until a batch is full. */
export class BatchBuilder {
  private readonly converters: Converter[]
  private columnsData: Value[][]
  private rows = 0
  private bytes = 0

  constructor(private readonly columns: Column[], prepare: (Prepare | undefined)[] = []) {
    this.converters = columns.map((column, i) => {
      const convert = converterFor(column.type)
      const before = prepare[i]
      return before ? (v: DriverValue) => convert(v === null || v === undefined ? null : before(v)) : convert
    })
    this.columnsData = columns.map(() => [])
  }

  /** Adds one row of driver values, in column order. */
  add(row: readonly DriverValue[]): void {
    for (let c = 0; c < this.converters.length; c++) {
      let value: Value
      try {
        value = this.converters[c](row[c])
      } catch (error) {
        const column = this.columns[c]
        throw sourceError(
          `column "${column.name}" (${column.sourceType} -> ${typeName(column.type)}): ${
            (error as Error).message
          }; add a columns: override or cast it in the query`,
          'VALUE_UNSUPPORTED',
        )
      }
      if (value === null && !this.columns[c].nullable) {
        // A REQUIRED Parquet column cannot hold it; say so rather than fail inside the encoder.
        throw sourceError(
          `column "${this.columns[c].name}" was described as NOT NULL but a row holds NULL; ` +
            `coalesce it in the query`,
          'VALUE_UNSUPPORTED',
        )
      }
      this.columnsData[c].push(value)
      this.bytes += value === null ? 1 : sizeOf(value)
    }
    this.rows++
  }

  /** Whether the batch has reached either limit. */
  full(limits: BatchLimits): boolean {
    return this.rows >= limits.rows || this.bytes >= limits.bytes
  }

  /** Rows added since the last {@link take}. */
  get length(): number {
    return this.rows
  }

  /** Hands over the rows added so far and starts a new batch. */
  take(): ColumnBatch {
    const batch = { length: this.rows, columns: this.columnsData, bytes: this.bytes }
    this.columnsData = this.columns.map(() => [])
    this.rows = 0
    this.bytes = 0
    return batch
  }
}

/**
 * A stream of batches pulled from an async source of rows. Reading stops at the first error
 * and `cancel` releases the driver's cursor.
 */
export function batchStream(
  rows: AsyncIterator<readonly DriverValue[][]> | Iterator<readonly DriverValue[][]>,
  builder: BatchBuilder,
  limits: BatchLimits,
): ReadableStream<ColumnBatch> {
  let done = false
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
      if (builder.length > 0) controller.enqueue(builder.take())
      if (done) controller.close()
    },
    async cancel() {
      await rows.return?.()
    },
  }, { highWaterMark: 1 })
}
