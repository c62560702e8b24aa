/**
 * Parquet, one row group at a time. Each output type gets an explicit schema element (physical
 * type, converted type for old readers, logical type for new ones), so nothing is inferred from
 * values. rivet encodes the column chunks itself, straight from the batches (parquet-column.ts),
 * and the footer as it goes (parquet-footer.ts). Row groups close at a byte or row target; their
 * bytes are handed on at once and the write buffer is reused, so a file is never held whole.
 */
import { ByteWriter } from 'hyparquet-writer'
import { snappyCompress } from 'hyparquet-writer/src/snappy.js'
import type { CompressionCodec, SchemaElement } from 'hyparquet'
import { VERSION } from '../version.ts'
import type { Column, OutputType } from '../types/output.ts'
import { type ColumnBatch, isInt64Vector } from '../types/values.ts'
import { type BlockCompressor, gzip, zstd } from './compress.ts'
import type { Format, FormatEncoder } from './format.ts'
import { pageBuffers } from './parquet-buffer.ts'
import { type ChunkCodec, type LeafColumn, writeColumnChunk } from './parquet-column.ts'
import { FooterWriter } from './parquet-footer.ts'

/** Parquet compression choices. */
export type ParquetCompression = 'zstd' | 'snappy' | 'gzip' | 'none'

/** When a row group closes: at `bytes` of (estimated) input or at `rows`, whichever is set. */
export type RowGroupTarget = { bytes: number } | { rows: number }

const codecs: Record<ParquetCompression, CompressionCodec> = {
  zstd: 'ZSTD',
  snappy: 'SNAPPY',
  gzip: 'GZIP',
  none: 'UNCOMPRESSED',
}

/**
 * Bytes of the FIXED_LEN_BYTE_ARRAY holding the unscaled value of a decimal of this precision:
 * the fewest that hold it, as Arrow writes, and past 38 digits whole 8-byte words. DuckDB 1.5
 * reads those as DOUBLE and, from a length short of a whole word by k bytes, gets a value 256^k
 * too large (duckdb/duckdb PR 25058): 1 read as 16777216 from DECIMAL(50,10) in 21 bytes.
 */
function decimalBytes(precision: number): number {
  const bytes = Math.ceil((Math.log2(10 ** precision) + 1) / 8)
  return precision > 38 ? Math.ceil(bytes / 8) * 8 : bytes
}

/** The leaf schema element for an output type, without name and repetition. */
function leafElement(type: OutputType): Omit<SchemaElement, 'name'> {
  switch (type.kind) {
    case 'int': {
      const physical = type.bits === 64 ? 'INT64' : 'INT32'
      const converted = `${type.signed ? 'INT' : 'UINT'}_${type.bits}` as SchemaElement['converted_type']
      // Converted type only: hyparquet-writer 0.17 encodes the INTEGER logical type's bitWidth as
      // an i32 where Thrift wants an i8, and DuckDB rejects the whole footer.
      return { type: physical, converted_type: converted }
    }
    case 'decimal': {
      const { precision, scale } = type
      const physical = precision <= 9 ? 'INT32' : precision <= 18 ? 'INT64' : 'FIXED_LEN_BYTE_ARRAY'
      return {
        type: physical,
        type_length: physical === 'FIXED_LEN_BYTE_ARRAY' ? decimalBytes(precision) : undefined,
        converted_type: 'DECIMAL',
        precision,
        scale,
        logical_type: { type: 'DECIMAL', precision, scale },
      }
    }
    case 'float':
      return { type: type.bits === 32 ? 'FLOAT' : 'DOUBLE' }
    case 'bool':
      return { type: 'BOOLEAN' }
    case 'string':
    case 'interval':
      return { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } }
    case 'json':
      // Both, as DuckDB and Arrow write it: DuckDB 1.5 reads the logical type alone as BLOB.
      return { type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' } }
    case 'bytes':
      return { type: 'BYTE_ARRAY' }
    case 'uuid':
      return { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, logical_type: { type: 'UUID' } }
    case 'date':
      return { type: 'INT32', converted_type: 'DATE', logical_type: { type: 'DATE' } }
    case 'time':
      return {
        type: 'INT64',
        converted_type: 'TIME_MICROS',
        logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' },
      }
    case 'timestamp':
      return {
        type: 'INT64',
        // Local timestamps carry it too, as DuckDB, Arrow C++ and arrow-rs write them: readers
        // that know only converted types otherwise see a bare INT64.
        converted_type: 'TIMESTAMP_MICROS',
        logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: type.utc, unit: 'MICROS' },
      }
    case 'list':
      throw new Error('lists are not leaves')
  }
}

/** The Parquet schema for output columns: REQUIRED when NOT NULL, LIST as the three-level form. */
export function parquetSchema(columns: Column[]): SchemaElement[] {
  const schema: SchemaElement[] = [{ name: 'root', num_children: columns.length }]
  for (const column of columns) {
    const repetition_type = column.nullable ? 'OPTIONAL' : 'REQUIRED'
    if (column.type.kind === 'list') {
      schema.push(
        {
          name: column.name,
          repetition_type,
          num_children: 1,
          converted_type: 'LIST',
          logical_type: { type: 'LIST' },
        },
        { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
        { name: 'element', repetition_type: 'OPTIONAL', ...leafElement(column.type.element) },
      )
    } else {
      schema.push({ name: column.name, repetition_type, ...leafElement(column.type) })
    }
  }
  return schema
}

/** A ByteWriter that hands over its bytes at every row group and reuses its buffer. */
class ChunkingWriter extends ByteWriter {
  private chunks: Uint8Array[] = []

  flush(): void {
    if (this.index === 0) return
    this.chunks.push(new Uint8Array(this.buffer.slice(0, this.index)))
    this.index = 0
  }

  take(): Uint8Array[] {
    const out = this.chunks
    this.chunks = []
    return out
  }
}

/** The leaf of each output column, in schema order (a list's leaf is its element). */
function leafColumns(columns: Column[]): LeafColumn[] {
  return columns.map((column) => {
    const nullable = column.nullable
    if (column.type.kind !== 'list') {
      return {
        type: column.type,
        element: leafElement(column.type),
        path: [column.name],
        nullable,
        list: false,
      }
    }
    const type = column.type.element
    return { type, element: leafElement(type), path: [column.name, 'list', 'element'], nullable, list: true }
  })
}

// "PAR1", at both ends of the file.
const MAGIC = 0x31524150

const compressors: Partial<Record<CompressionCodec, BlockCompressor>> = {
  ZSTD: zstd,
  GZIP: gzip,
  SNAPPY: snappyCompress,
  UNCOMPRESSED: (input) => input,
}

class ParquetEncoder implements FormatEncoder {
  private readonly writer = new ChunkingWriter(1 << 20)
  private readonly footer: FooterWriter
  private readonly leaves: LeafColumn[]
  private readonly elements: SchemaElement[]
  private readonly codec: ChunkCodec
  private readonly buffers = pageBuffers()
  private batches: ColumnBatch[] = []
  private rows = 0
  private bytes = 0

  constructor(columns: Column[], codec: CompressionCodec, private readonly target: RowGroupTarget) {
    this.footer = new FooterWriter(parquetSchema(columns), `rivet ${VERSION}`)
    this.leaves = leafColumns(columns)
    this.elements = this.leaves.map((leaf) => ({ name: leaf.path.at(-1)!, ...leaf.element }))
    this.codec = { name: codec, compress: compressors[codec]! }
    this.writer.appendUint32(MAGIC)
  }

  get atBoundary(): boolean {
    return this.rows === 0
  }

  write(batch: ColumnBatch): Uint8Array[] {
    if (batch.length === 0) return []
    if ('bytes' in this.target) {
      this.add(batch)
      if (this.bytes >= this.target.bytes) this.writeRowGroup()
      return this.writer.take()
    }
    // No row group passes the row target: a batch (a source sends thousands of rows) is cut
    // where the target falls inside it, and the rest of a cut batch closes a row group too, so
    // each batch still ends at a row group boundary, where a part may end (max_file_size).
    let cut = false
    for (let from = 0; from < batch.length;) {
      const to = Math.min(batch.length, from + this.target.rows - this.rows)
      this.add(from === 0 && to === batch.length ? batch : sliceBatch(batch, from, to))
      from = to
      if (this.rows >= this.target.rows || (cut && from === batch.length)) {
        this.writeRowGroup()
        cut = true
      }
    }
    return this.writer.take()
  }

  private add(batch: ColumnBatch): void {
    this.batches.push(batch)
    this.rows += batch.length
    this.bytes += batch.bytes
  }

  end(): Uint8Array[] {
    if (this.rows > 0) this.writeRowGroup()
    this.footer.write(this.writer)
    this.writer.appendUint32(MAGIC)
    this.writer.flush()
    return this.writer.take()
  }

  private writeRowGroup(): void {
    const start = this.writer.offset
    const columns = this.leaves.map((leaf, c) =>
      writeColumnChunk(
        this.writer,
        leaf,
        this.batches.map((b) => b.columns[c]),
        this.rows,
        this.codec,
        this.buffers,
      )
    )
    let uncompressed = 0n
    for (const chunk of columns) uncompressed += chunk.meta_data!.total_uncompressed_size
    this.footer.add({
      columns,
      elements: this.elements,
      numRows: BigInt(this.rows),
      totalByteSize: uncompressed,
      totalCompressedSize: BigInt(this.writer.offset - start),
    })
    this.writer.flush()
    this.batches = []
    this.rows = 0
    this.bytes = 0
  }
}

/** Rows `from..to` of a batch (int64 vectors as views), its size estimate in proportion. */
function sliceBatch(batch: ColumnBatch, from: number, to: number): ColumnBatch {
  return {
    length: to - from,
    columns: batch.columns.map((c) => isInt64Vector(c) ? c.subarray(from, to) : c.slice(from, to)),
    bytes: Math.round(batch.bytes * (to - from) / batch.length),
  }
}

/** The Parquet format with a compression and row group target. */
export function parquetFormat(compression: ParquetCompression, rowGroup: RowGroupTarget): Format {
  return {
    extension: 'parquet',
    create: (columns) => new ParquetEncoder(columns, codecs[compression], rowGroup),
  }
}
