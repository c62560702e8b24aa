/**
 * CSV as RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma, quote,
 * CR or LF. NULL is an empty field and the empty string is `""`, so the two stay apart.
 * Compressed CSV is a series of complete gzip members or zstd frames, one per batch, which
 * every reader of those formats decodes as one stream.
 */
import type { Column, OutputType } from '../types/output.ts'
import type { ColumnBatch } from '../types/values.ts'
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

// Their text is never empty and never holds a comma, quote, CR or LF, so it skips the field check.
const plainKinds = new Set<OutputType['kind']>([
  'int',
  'decimal',
  'float',
  'bool',
  'uuid',
  'date',
  'time',
  'timestamp',
])

/** The CSV field text of one non-null value of `type`. */
function fieldFormatter(type: OutputType): (value: never) => string {
  const text = textFormatter(type)
  return plainKinds.has(type.kind) ? text : (v) => field(text(v))
}

class CsvEncoder implements FormatEncoder {
  readonly atBoundary = true
  private readonly formatters: ((v: never) => string)[]
  private header: string | undefined
  // Reused across batches: text goes into it as bytes row by row, so no batch-sized string is
  // built and then encoded (that string and its garbage cost more than the formatting).
  private buffer = Buffer.allocUnsafe(1 << 16)
  private length = 0

  constructor(columns: Column[], private readonly compress: BlockCompressor | undefined) {
    this.formatters = columns.map((c) => fieldFormatter(c.type))
    this.header = columns.map((c) => field(c.name)).join(',') + '\r\n'
  }

  write(batch: ColumnBatch): Uint8Array[] {
    if (this.header !== undefined) this.put(this.header)
    const { columns, length } = batch
    const width = columns.length
    const formatters = this.formatters
    for (let r = 0; r < length; r++) {
      // One string per row: its few pieces are joined once when put reads it.
      let line = ''
      for (let c = 0; c < width; c++) {
        const value = columns[c][r]
        if (c > 0) line += ','
        if (value !== null) line += formatters[c](value as never)
      }
      this.put(line + '\r\n')
    }
    return this.emit()
  }

  end(): Uint8Array[] {
    // A file with no rows still gets its header.
    if (this.header !== undefined) this.put(this.header)
    return this.emit()
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes))
    grown.set(this.buffer.subarray(0, this.length))
    this.buffer = grown
  }

  /** Appends text as UTF-8. */
  private put(text: string): void {
    // A UTF-16 unit becomes at most 3 UTF-8 bytes.
    this.reserve(text.length * 3)
    this.length += this.buffer.write(text, this.length)
  }

  private emit(): Uint8Array[] {
    this.header = undefined
    if (this.length === 0) return []
    const bytes = this.buffer.subarray(0, this.length)
    this.length = 0
    // The compressors copy their input; uncompressed bytes must not share the reused buffer.
    return [this.compress ? this.compress(bytes) : new Uint8Array(bytes)]
  }
}

/** The CSV format with a compression. */
export function csvFormat(compression: CsvCompression): Format {
  const compress = compression === 'gzip' ? gzip : compression === 'zstd' ? zstd : undefined
  const extension = compression === 'gzip' ? 'csv.gz' : compression === 'zstd' ? 'csv.zst' : 'csv'
  return { extension, create: (columns) => new CsvEncoder(columns, compress) }
}
