/**
 * The columns of a batch while its rows arrive. An int64 column fills an int64 vector (no bigint
 * per value; see src/types/values.ts) until a value the vector cannot hold, a NULL or one past
 * int64, moves that column into an array for the rest of the batch. The readers fill the fields
 * directly: they are the innermost loops of every export.
 */
import type { ColumnBatch, ColumnValues, Value } from '../types/values.ts'

/** A batch's columns under construction, and its row and byte counts. */
export class BatchColumns {
  /** Per column, its values (for a column with a vector, the rows after it moved to an array). */
  values: Value[][] = []
  /** Per int64 column, the vector while it holds every row so far. */
  vectors: (BigInt64Array | undefined)[] = []
  /** Each vector's words, the low and high int32 of each row; empty for other columns. */
  words: Int32Array[] = []
  /** Rows added so far. */
  rows = 0
  /** Bytes of input (estimated) added so far. */
  bytes = 0
  /** Rows the vectors have room for. */
  private capacity = 0

  constructor(
    /** Which columns start as int64 vectors. */
    private readonly int64: readonly boolean[],
    /** The vectors' first room; they double when it is used up. */
    private readonly initialRows: number,
  ) {
    this.start(initialRows)
  }

  private start(capacity: number): void {
    this.values = this.int64.map(() => [])
    this.setVectors(this.int64.map((flag) => flag ? new BigInt64Array(capacity) : undefined))
    this.capacity = this.int64.some(Boolean) ? capacity : Infinity
  }

  /** Sets the vectors and the words over them. */
  private setVectors(vectors: (BigInt64Array | undefined)[]): void {
    this.vectors = vectors
    this.words = vectors.map((vector) => vector ? new Int32Array(vector.buffer) : new Int32Array(0))
  }

  /** Makes room for one more row: call before adding one. */
  reserve(): void {
    if (this.rows < this.capacity) return
    this.capacity *= 2
    this.setVectors(this.vectors.map((vector) => {
      if (!vector) return undefined
      const grown = new BigInt64Array(this.capacity)
      grown.set(vector)
      return grown
    }))
  }

  /** Moves a column's vector into its array, for a value the vector cannot hold. */
  toArray(c: number): void {
    this.values[c] = Array.from(this.vectors[c]!.subarray(0, this.rows))
    this.vectors[c] = undefined
  }

  /** Hands over the rows added so far and starts the next batch. */
  take(): ColumnBatch {
    const columns: ColumnValues[] = this.values.map((values, c) =>
      this.vectors[c]?.subarray(0, this.rows) ?? values
    )
    const batch = { length: this.rows, columns, bytes: this.bytes }
    this.start(Math.max(this.initialRows, this.rows))
    this.rows = 0
    this.bytes = 0
    return batch
  }
}
