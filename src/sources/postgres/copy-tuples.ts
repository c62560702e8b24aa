/**
 * The tuples of `COPY ... TO STDOUT (FORMAT binary)` turned into {@link ColumnBatch}es. Chunks
 * may split a tuple anywhere; the unfinished end waits for the next chunk. Each field goes
 * through its column's {@link FieldDecoder} once, or for an int64 column into the batch's
 * int64 vector (no bigint per value) until a NULL turns the column into an array.
 */
import { Buffer } from 'node:buffer'
import { sourceError } from '../../errors.ts'
import type { Column } from '../../types/output.ts'
import type { ColumnBatch, Value } from '../../types/values.ts'
import { BatchColumns } from '../batch-columns.ts'
import { nullError, valueError } from '../batch.ts'
import type { BatchLimits } from '../source.ts'
import type { FieldDecoder, Int64FieldDecoder } from './binary.ts'
import { Carry } from './carry.ts'

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00] // PGCOPY\n\377\r\n\0
const HEADER_BYTES = SIGNATURE.length + 8

/** Accumulates binary COPY tuples column by column and hands over full batches. */
export class CopyTupleReader {
  private readonly carry = new Carry()
  private headerRead = false
  private ended = false
  private buffer: ArrayBufferLike | undefined
  private view!: DataView
  private bytes!: Buffer
  private readonly batch: BatchColumns

  constructor(
    private readonly columns: Column[],
    private readonly decoders: FieldDecoder[],
    /** Per column, the decoder into an int64 vector, if the column has one. */
    private readonly int64: (Int64FieldDecoder | undefined)[],
    private readonly limits: BatchLimits,
    private readonly onBatch: (batch: ColumnBatch) => void,
  ) {
    // Room for a whole batch: a batch is handed over when it reaches `limits.rows`.
    this.batch = new BatchColumns(int64.map(Boolean), limits.rows)
  }

  /** Whether the trailer has arrived: every tuple has been read. */
  get complete(): boolean {
    return this.ended
  }

  /** Reads the tuples a chunk completes; throws on a value that cannot be stored. */
  push(chunk: Uint8Array): void {
    const data = this.carry.join(chunk)
    if (data.buffer !== this.buffer) {
      // One view per socket buffer: the chunks of one read share it.
      this.buffer = data.buffer
      this.view = new DataView(data.buffer)
      this.bytes = Buffer.from(data.buffer)
    }
    const end = data.byteOffset + data.length
    let pos = data.byteOffset
    if (!this.headerRead) {
      if (end - pos < HEADER_BYTES) {
        this.carry.keep(data, 0, data.length)
        return
      }
      this.readHeader(pos)
      pos += HEADER_BYTES + this.view.getUint32(pos + SIGNATURE.length + 4)
      this.headerRead = true
    }
    while (end - pos >= 2 && !this.ended) {
      const next = this.tupleEnd(pos, end)
      if (next < 0) break
      if (!this.ended) this.readTuple(pos + 2)
      pos = next
    }
    if (pos < end && !this.ended) this.carry.keep(this.bytes, pos, end)
  }

  /** Hands over the rows read since the last batch, if any. */
  flush(): void {
    if (this.batch.rows > 0) this.onBatch(this.batch.take())
  }

  private readHeader(at: number): void {
    for (let i = 0; i < SIGNATURE.length; i++) {
      if (this.bytes[at + i] !== SIGNATURE[i]) throw sourceError('COPY sent no binary header')
    }
  }

  /** Where the tuple at `at` ends, -1 if the data stops inside it, or `at + 2` for the trailer. */
  private tupleEnd(at: number, end: number): number {
    const fields = this.view.getInt16(at)
    if (fields === -1) {
      this.ended = true
      return at + 2
    }
    if (fields !== this.columns.length) {
      throw sourceError(`COPY sent ${fields} fields for ${this.columns.length} columns`)
    }
    let pos = at + 2
    for (let c = 0; c < fields; c++) {
      if (end - pos < 4) return -1
      const length = this.view.getInt32(pos)
      pos += 4 + (length > 0 ? length : 0)
    }
    return pos <= end ? pos : -1
  }

  private readTuple(at: number): void {
    const { view, bytes, decoders, batch } = this
    const { values, vectors, words, rows } = batch
    let pos = at
    for (let c = 0; c < decoders.length; c++) {
      const length = view.getInt32(pos)
      pos += 4
      const vector = vectors[c]
      if (length < 0) {
        if (!this.columns[c].nullable) throw nullError(this.columns[c])
        if (vector) batch.toArray(c)
        values[c].push(null)
        batch.bytes += 1
        continue
      }
      if (!vector || !this.int64[c]!(view, pos, words[c], rows)) {
        let value: Value
        try {
          value = decoders[c](view, bytes, pos, length)
        } catch (error) {
          throw valueError(this.columns[c], error)
        }
        // A vector would wrap a bigint past int64.
        if (vector && typeof value === 'bigint' && BigInt.asIntN(64, value) === value) vector[rows] = value
        else {
          if (vector) batch.toArray(c)
          values[c].push(value)
        }
      }
      batch.bytes += length + 4
      pos += length
    }
    batch.rows++
    if (batch.rows >= this.limits.rows || batch.bytes >= this.limits.bytes) this.flush()
  }
}
