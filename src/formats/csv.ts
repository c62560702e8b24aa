/**
 * CSV as RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma, quote,
 * CR or LF. NULL is an empty field and the empty string is `""`, so the two stay apart.
 * Compressed CSV is a series of complete gzip members or zstd frames, one per batch, which
 * every reader of those formats decodes as one stream.
 */
import type { Column } from '../types/output.ts'
import type { ColumnBatch } from '../types/values.ts'
import { type BlockCompressor, gzip, zstd } from './compress.ts'
import type { Format, FormatEncoder } from './format.ts'
import { textFormatter } from './text.ts'

/** CSV compression choices. */
export type CsvCompression = 'none' | 'gzip' | 'zstd'

const needsQuotes = /[",\r\n]/

function field(text: string): string {
  if (text === '') return '""'
  return needsQuotes.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

class CsvEncoder implements FormatEncoder {
  readonly atBoundary = true
  private readonly formatters: ((v: never) => string)[]
  private header: string | undefined
  private readonly encoder = new TextEncoder()

  constructor(columns: Column[], private readonly compress: BlockCompressor | undefined) {
    this.formatters = columns.map((c) => textFormatter(c.type))
    this.header = columns.map((c) => field(c.name)).join(',') + '\r\n'
  }

  write(batch: ColumnBatch): Uint8Array[] {
    let text = this.header ?? ''
    this.header = undefined
    const { columns, length } = batch
    const width = columns.length
    for (let r = 0; r < length; r++) {
      for (let c = 0; c < width; c++) {
        const value = columns[c][r]
        if (c > 0) text += ','
        if (value !== null) text += field(this.formatters[c](value as never))
      }
      text += '\r\n'
    }
    return this.emit(text)
  }

  end(): Uint8Array[] {
    // A file with no rows still gets its header.
    return this.header === undefined ? [] : this.emit(this.header)
  }

  private emit(text: string): Uint8Array[] {
    this.header = undefined
    if (!text) return []
    const bytes = this.encoder.encode(text)
    return [this.compress ? this.compress(bytes) : bytes]
  }
}

/** The CSV format with a compression. */
export function csvFormat(compression: CsvCompression): Format {
  const compress = compression === 'gzip' ? gzip : compression === 'zstd' ? zstd : undefined
  const extension = compression === 'gzip' ? 'csv.gz' : compression === 'zstd' ? 'csv.zst' : 'csv'
  return { extension, create: (columns) => new CsvEncoder(columns, compress) }
}
