/**
 * The part roller: encodes batches into part files and starts a new part once the current one
 * passes `max_file_size` at a point where the format can end a file. It counts rows, bytes and
 * the sha256 of every part for the manifest, and on failure removes every part it wrote.
 */
import { createHash, type Hash } from 'node:crypto'
import type { Destination } from '../destinations/destination.ts'
import type { Format, FormatEncoder } from '../formats/format.ts'
import type { Column } from '../types/output.ts'
import type { ColumnBatch } from '../types/values.ts'

/** A written part, as the manifest lists it. */
export interface PartRecord {
  /** Path relative to the export's directory. */
  path: string
  rows: number
  bytes: number
  sha256: string
}

interface OpenPart {
  path: string
  encoder: FormatEncoder
  writer: WritableStreamDefaultWriter<Uint8Array>
  hash: Hash
  rows: number
  bytes: number
}

/** Running totals, for progress. */
export interface PartTotals {
  rows: number
  bytes: number
}

/** Writes the parts of one export run. */
export class PartWriter {
  private current: OpenPart | undefined
  private readonly done: PartRecord[] = []
  /** Rows and bytes written so far across parts. */
  readonly totals: PartTotals = { rows: 0, bytes: 0 }

  constructor(
    private readonly destination: Destination,
    private readonly format: Format,
    private readonly columns: Column[],
    /** File name (relative path) of part `index`, with the format's extension. */
    private readonly name: (index: number, extension: string) => string,
    /** Roll to a new part past this many bytes; undefined for one part. */
    private readonly maxBytes: number | undefined,
  ) {}

  /** Encodes one batch into the current part. */
  async write(batch: ColumnBatch): Promise<void> {
    const part = this.current ?? this.open()
    part.rows += batch.length
    this.totals.rows += batch.length
    await this.emit(part, part.encoder.write(batch))
    const roll = this.maxBytes !== undefined && !this.destination.singleStream
    if (roll && !batch.continues && part.encoder.atBoundary && part.bytes >= this.maxBytes!) {
      await this.close(part)
    }
  }

  /** Ends the last part (an empty result still gets one file with the header/schema). */
  async finish(): Promise<PartRecord[]> {
    if (this.current || this.done.length === 0) await this.close(this.current ?? this.open())
    return [...this.done]
  }

  /** Discards the part being written and removes every part already written. */
  async abort(reason: unknown): Promise<void> {
    const part = this.current
    this.current = undefined
    await part?.writer.abort(reason).catch(() => {})
    for (const record of this.done) await this.destination.remove(record.path).catch(() => {})
    this.done.length = 0
  }

  private open(): OpenPart {
    const path = this.name(this.done.length, this.format.extension)
    const writer = this.destination.create(path).getWriter()
    // A failure to open shows up on the first write; keep the rejection from going unhandled.
    writer.closed.catch(() => {})
    this.current = {
      path,
      encoder: this.format.create(this.columns),
      writer,
      hash: createHash('sha256'),
      rows: 0,
      bytes: 0,
    }
    return this.current
  }

  private async emit(part: OpenPart, chunks: Uint8Array[]): Promise<void> {
    for (const chunk of chunks) {
      part.hash.update(chunk)
      part.bytes += chunk.length
      this.totals.bytes += chunk.length
      await part.writer.write(chunk)
    }
  }

  private async close(part: OpenPart): Promise<void> {
    await this.emit(part, part.encoder.end())
    await part.writer.close()
    this.current = undefined
    this.done.push({ path: part.path, rows: part.rows, bytes: part.bytes, sha256: part.hash.digest('hex') })
  }
}
