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
 */

/** One value of a column, in the representation the table above gives for its type. */
export type Value = number | bigint | boolean | string | Uint8Array | Value[] | null

/** A bounded slice of the result, column by column. */
export interface ColumnBatch {
  /** Number of rows. */
  readonly length: number
  /** One array per output column, each `length` long. */
  readonly columns: Value[][]
  /** Rough size in bytes, used to size row groups and batches. */
  readonly bytes: number
}
