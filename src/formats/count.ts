/**
 * Counting the rows of a written part from its bytes as they stream past, for `validate`:
 * Parquet from the footer (only its last bytes are kept), CSV by counting records outside
 * quotes, gzip- and zstd-compressed CSV through node:zlib on the way. Memory stays flat whatever
 * the size.
 */
import { once } from 'node:events'
import zlib from 'node:zlib'
import { parquetMetadata } from 'hyparquet'
import { ZstdFrames } from './zstd-frames.ts'

/** What counting found: the rows, why they were not counted, or why the bytes cannot be read. */
export type RowCount = { rows: number } | { skipped: string } | { unreadable: string }

/** Counts the rows of one part, fed its bytes in order. */
export interface RowCounter {
  push(chunk: Uint8Array): void | Promise<void>
  finish(): RowCount | Promise<RowCount>
}

/**
 * Bytes kept from the end of a Parquet part. rivet's footers take a few hundred bytes per
 * column and row group, so this covers many thousands of them.
 */
export const FOOTER_BYTES = 4 * 1024 * 1024

/** Keeps the last `size` bytes of a stream, dropping whole chunks once they are out of reach. */
class Tail {
  private chunks: Uint8Array[] = []
  private kept = 0
  /** Bytes seen in all. */
  seen = 0

  constructor(private readonly size: number) {}

  push(chunk: Uint8Array): void {
    this.chunks.push(chunk)
    this.kept += chunk.length
    this.seen += chunk.length
    while (this.kept - this.chunks[0].length >= this.size) this.kept -= this.chunks.shift()!.length
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(Math.min(this.kept, this.size))
    let end = out.length
    for (let i = this.chunks.length - 1; i >= 0 && end > 0; i--) {
      const chunk = this.chunks[i]
      const take = Math.min(chunk.length, end)
      out.set(chunk.subarray(chunk.length - take), end - take)
      end -= take
    }
    return out
  }
}

/** Rows of a Parquet file, from the `num_rows` of its footer. */
class ParquetRows implements RowCounter {
  private readonly tail = new Tail(FOOTER_BYTES)

  push(chunk: Uint8Array): void {
    this.tail.push(chunk)
  }

  finish(): RowCount {
    const bytes = this.tail.bytes()
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    const footer = bytes.length >= 8 ? view.getUint32(bytes.length - 8, true) + 8 : 0
    if (footer > bytes.length && this.tail.seen > bytes.length) {
      return { skipped: `its Parquet footer is over ${FOOTER_BYTES / 1024 / 1024} MiB` }
    }
    try {
      return { rows: Number(parquetMetadata(bytes).num_rows) }
    } catch (error) {
      return { unreadable: `Parquet footer: ${(error as Error).message}` }
    }
  }
}

const LF = 0x0a
const QUOTE = 0x22

/**
 * Records of RFC 4180 CSV: line feeds outside quoted fields. A doubled quote inside a field
 * flips the state twice, so it needs no special case. The first record is the header.
 */
class CsvRows implements RowCounter {
  private quoted = false
  private lineFeeds = 0
  private last = LF

  push(chunk: Uint8Array): void {
    let quoted = this.quoted
    let lineFeeds = 0
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]
      if (byte === QUOTE) quoted = !quoted
      else if (byte === LF && !quoted) lineFeeds++
    }
    this.quoted = quoted
    this.lineFeeds += lineFeeds
    if (chunk.length) this.last = chunk[chunk.length - 1]
  }

  finish(): RowCount {
    // A last record without a line end still counts.
    const records = this.lineFeeds + (this.last === LF ? 0 : 1)
    return records === 0 ? { unreadable: 'CSV without a header row' } : { rows: records - 1 }
  }
}

/** Gzip-compressed CSV: a series of gzip members, inflated as they stream past. */
class GzipCsvRows implements RowCounter {
  private readonly csv = new CsvRows()
  private readonly inflate = zlib.createGunzip()
  private failure: Error | undefined

  constructor() {
    this.inflate.on('data', (chunk: Uint8Array) => this.csv.push(chunk))
    // Kept for finish(): an 'error' event without a listener would end the process.
    this.inflate.on('error', (error) => this.failure = error)
  }

  async push(chunk: Uint8Array): Promise<void> {
    if (this.failure) return
    // Waiting for 'drain' keeps memory flat when inflating falls behind the download.
    if (!this.inflate.write(chunk)) await once(this.inflate, 'drain').catch(() => {})
  }

  async finish(): Promise<RowCount> {
    if (!this.failure) {
      this.inflate.end()
      await once(this.inflate, 'end').catch(() => {})
    }
    return this.failure ? { unreadable: `gzip: ${this.failure.message}` } : this.csv.finish()
  }
}

/**
 * zstd-compressed CSV: a series of frames (one per batch), each decompressed alone once all of
 * it has arrived, which works the same on Deno, whose zstd stream ends with the first frame.
 */
class ZstdCsvRows implements RowCounter {
  private readonly csv = new CsvRows()
  private readonly frames = new ZstdFrames()
  private failure: Error | undefined

  push(chunk: Uint8Array): void {
    if (this.failure) return
    try {
      for (const frame of this.frames.push(chunk)) this.csv.push(zlib.zstdDecompressSync(frame))
    } catch (error) {
      this.failure = error as Error
    }
  }

  finish(): RowCount {
    if (this.failure) return { unreadable: `zstd: ${this.failure.message}` }
    if (!this.frames.complete) return { unreadable: 'zstd: the last frame is cut short' }
    return this.csv.finish()
  }
}

/** A counter for the part at `path`, chosen by its extension. */
export function rowCounter(path: string): RowCounter {
  if (path.endsWith('.parquet')) return new ParquetRows()
  if (path.endsWith('.csv')) return new CsvRows()
  if (path.endsWith('.csv.gz')) return new GzipCsvRows()
  if (path.endsWith('.csv.zst')) return new ZstdCsvRows()
  return { push: () => {}, finish: () => ({ skipped: 'unknown format' }) }
}
