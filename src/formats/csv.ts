/**
 * CSV as RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma, quote,
 * CR or LF. NULL is an empty field and the empty string is `""`, so the two stay apart.
 * Compressed CSV is a series of complete gzip members or zstd frames, one per batch, which
 * every reader of those formats decodes as one stream.
 */
import type { Column, OutputType } from '../types/output.ts'
import { type ColumnBatch, type ColumnValues, int64Numbers, isInt64Vector } from '../types/values.ts'
import { asciiWriter, ByteSink, type ValueWriter } from './ascii.ts'
import { type BlockCompressor, gzip, zstd } from './compress.ts'
import type { Format, FormatEncoder } from './format.ts'
import { textFormatter } from './text.ts'

/** CSV compression choices. */
export type CsvCompression = 'none' | 'gzip' | 'zstd'

const needsQuotes = /[",\r\n]/

function field(text: string): string {
  if (text === '') return '""'
  return needsQuotes.test(text) ? '"' + text.replaceAll('"', '""') + '"' : text
}

const COMMA = 44
const QUOTE = 34
const CR = 13
const LF = 10

// Up to this length, text is copied a byte per character, faster than a call to native code;
// longer text goes through the regex and Buffer.write, faster per character (about 10x at 2000).
const SHORT_TEXT = 64

/** Appends text as a CSV field. */
function putField(out: ByteSink, text: string): void {
  const n = text.length
  // The empty string is quoted too.
  if (n === 0 || n > SHORT_TEXT) return out.utf8(field(text))
  const buffer = out.room(n)
  const start = out.length
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i)
    if (c >= 0x80 || c === QUOTE || c === COMMA || c === CR || c === LF) return out.utf8(field(text))
    buffer[start + i] = c
  }
  out.length = start + n
}

/** The writer of one non-null value of a column's type as a CSV field. */
export function csvFieldWriter(type: OutputType): ValueWriter {
  // ASCII text never needs quoting, so it goes in as it is.
  const ascii = asciiWriter(type)
  if (ascii) return ascii
  const text = textFormatter(type)
  return (out, v) => putField(out, text(v))
}

class CsvEncoder implements FormatEncoder {
  readonly atBoundary = true
  private readonly writers: ValueWriter[]
  private header: string | undefined
  // Reused across batches: values go into it as bytes, with no string per row or per batch.
  private readonly out = new ByteSink(1 << 16)
  // Per column, the numbers of its int64 vectors, reused across batches.
  private readonly numbers: Float64Array[]

  constructor(columns: Column[], private readonly compress: BlockCompressor | undefined) {
    this.writers = columns.map((c) => csvFieldWriter(c.type))
    this.numbers = columns.map(() => new Float64Array(0))
    this.header = columns.map((c) => field(c.name)).join(',') + '\r\n'
  }

  write(batch: ColumnBatch): Uint8Array[] {
    const out = this.out
    if (this.header !== undefined) out.utf8(this.header)
    if (batch.csv) {
      out.room(batch.csv.length).set(batch.csv, out.length)
      out.length += batch.csv.length
      batch.release?.()
      return this.emit()
    }
    const { length } = batch
    const columns = batch.columns.map((values, c) => this.readable(values, c))
    const width = columns.length
    const writers = this.writers
    for (let r = 0; r < length; r++) {
      for (let c = 0; c < width; c++) {
        if (c > 0) out.byte(COMMA)
        const value = columns[c][r]
        if (value !== null) writers[c](out, value as never)
      }
      out.byte(CR)
      out.byte(LF)
    }
    return this.emit()
  }

  /**
   * The column as the writers read it: an int64 vector of safe integers becomes numbers, which
   * the integer, decimal, time and timestamp writers take as they take bigints.
   */
  private readable(values: ColumnValues, c: number): ArrayLike<unknown> {
    if (!isInt64Vector(values)) return values
    const numbers = int64Numbers(values, this.numbers[c])
    if (!numbers) return values
    this.numbers[c] = numbers
    return numbers
  }

  end(): Uint8Array[] {
    // A file with no rows still gets its header.
    if (this.header !== undefined) this.out.utf8(this.header)
    return this.emit()
  }

  private emit(): Uint8Array[] {
    this.header = undefined
    const out = this.out
    if (out.length === 0) return []
    const bytes = out.buffer.subarray(0, out.length)
    out.length = 0
    // Handed over without a copy (see FormatEncoder): a fresh megabyte per batch cost ~10% of a
    // CSV export in page faults. The next batch reuses the buffer.
    return [this.compress ? this.compress(bytes) : bytes]
  }
}

/** The CSV format with a compression. */
export function csvFormat(compression: CsvCompression): Format {
  const compress = compression === 'gzip' ? gzip : compression === 'zstd' ? zstd : undefined
  const extension = compression === 'gzip' ? 'csv.gz' : compression === 'zstd' ? 'csv.zst' : 'csv'
  return { extension, create: (columns) => new CsvEncoder(columns, compress) }
}
