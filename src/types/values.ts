/**
 * The value contract between sources and formats. A {@link ColumnBatch} holds, for each output
 * type, values in exactly one JS representation, so encoders never guess:
 *
 * | output type            | value                                   |
 * | ---------------------- | --------------------------------------- |
 * | int up to 32 bits      | number                                  |
 * | int64, uint64          | bigint                                  |
 * | decimal(p,s)           | bigint, the unscaled value              |
 * | float32, float64       | number (NaN and +-Infinity kept)        |
 * | bool                   | boolean                                 |
 * | string, json, interval | string                                  |
 * | bytes                  | Uint8Array                              |
 * | uuid                   | Uint8Array of 16 bytes                  |
 * | date                   | number, days since 1970-01-01           |
 * | time                   | bigint, microseconds since midnight     |
 * | timestamp(tz)          | bigint, microseconds since the epoch    |
 * | list<T>                | array of T values (elements may be null)|
 *
 * `null` is NULL in every column.
 *
 * A column of a 64-bit integer type (int64, time, timestamp, a decimal's unscaled value) may
 * instead arrive as a `BigInt64Array` when the batch holds no NULL in it: indexing it gives the
 * same bigints, and the encoders that know it read its words without a bigint per value.
 */

import type { OutputType } from './output.ts'

/** One value of a column, in the representation the table above gives for its type. */
export type Value = number | bigint | boolean | string | Uint8Array | Value[] | null

/** The values of one column in a batch: see the table above, and {@link Int64Vector}. */
export type ColumnValues = Value[] | Int64Vector

/**
 * A column of int64 values (never uint64: past 2^63 it would read back negative) with no NULL,
 * stored as the little-endian words Parquet's INT64 takes.
 */
export type Int64Vector = BigInt64Array

/** Whether a column of this type may arrive as an {@link Int64Vector}. */
export function holdsInt64(type: OutputType): boolean {
  switch (type.kind) {
    case 'int':
      return type.bits === 64 && type.signed
    case 'decimal':
      return type.precision <= 18
    case 'time':
    case 'timestamp':
      return true
    default:
      return false
  }
}

/** Whether a column's values are an {@link Int64Vector}. */
export function isInt64Vector(values: ColumnValues): values is Int64Vector {
  return values instanceof BigInt64Array
}

/**
 * The values of an int64 vector as numbers, into `into` (grown as needed), when every value is
 * a safe integer; undefined otherwise. The writers that take numbers below 2^53 (CSV) read
 * these without a bigint per value.
 */
export function int64Numbers(values: Int64Vector, into: Float64Array): Float64Array | undefined {
  const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2)
  const out = into.length >= values.length ? into : new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) {
    const high = words[2 * i + 1]
    // |value| < 2^52 when the high word is within +-2^20: exact as a double.
    if (high > 0xfffff || high < -0x100000) return undefined
    out[i] = high * 4294967296 + (words[2 * i] >>> 0)
  }
  return out
}

const TWO_32 = 4294967296

/**
 * Writes a safe integer into row `row` of an Int64Vector's memory seen as int32 words (low,
 * high): no bigint on the way.
 */
export function setInt64Words(words: Int32Array, row: number, value: number): void {
  // An Int32Array keeps a number modulo 2^32: the low word of a safe integer.
  words[2 * row] = value
  words[2 * row + 1] = Math.floor(value / TWO_32)
}

// The encoders copy an Int64Vector's memory as Parquet's little-endian INT64.
if (new Uint8Array(new BigInt64Array([1n]).buffer)[0] !== 1) {
  throw new Error('rivet needs a little-endian machine')
}

/** A bounded slice of the result, column by column. */
export interface ColumnBatch {
  /** Number of rows. */
  readonly length: number
  /** One array per output column, each `length` long. */
  readonly columns: ColumnValues[]
  /** Rough size in bytes, used to size row groups and batches. */
  readonly bytes: number
  /**
   * The rows already as rivet's CSV records (see src/formats/csv.ts), with `columns` empty: what
   * a source may send instead of values to a reader that asked for them (`ReadRequest.csv`).
   */
  readonly csv?: Uint8Array
  /**
   * Called by the one reader of `csv` once it has copied the bytes: the source may then write a
   * later batch into that memory. A fresh buffer per batch is memory not touched yet, a page
   * fault per 4 KB: 10M rows of CSV took half the faults, ~0.5 s less CPU and ~13 MB less peak
   * RSS with the buffers reused.
   */
  readonly release?: () => void
  /**
   * The rows go on in the next batch as one unit (a transaction of a change feed, streamed in
   * batches to keep memory flat): a part must not end after this batch.
   */
  readonly continues?: boolean
}
