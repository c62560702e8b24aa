/**
 * One column chunk of a row group: its values read straight from the batches' column arrays,
 * encoded PLAIN or through a dictionary into data pages (v2) of about 1 MiB, each page
 * compressed on its own, and the chunk's metadata for the footer.
 */
import type { ByteWriter } from 'hyparquet-writer'
import type {
  ColumnChunk,
  ColumnMetaData,
  CompressionCodec,
  Encoding,
  SchemaElement,
  Statistics,
} from 'hyparquet'
import type { OutputType } from '../types/output.ts'
import { type ColumnValues, isInt64Vector, type Value } from '../types/values.ts'
import type { BlockCompressor } from './compress.ts'
import type { PageBuffer, PageBuffers } from './parquet-buffer.ts'
import { buildDictionary, type Dictionary } from './parquet-dictionary.ts'
import { bitWidth, writeHybrid } from './parquet-levels.ts'
import { ENCODING, writeDataPageHeader, writeDictionaryPageHeader } from './parquet-page-header.ts'
import { plainEncoder } from './parquet-values.ts'

/** A leaf column as the chunk writer needs it. */
export interface LeafColumn {
  /** The leaf's output type: the column's, or a list's element type. */
  type: OutputType
  /** The leaf's schema element (physical type, length). */
  element: Omit<SchemaElement, 'name'>
  /** Names from the root to the leaf. */
  path: string[]
  /** Whether the top-level column may be NULL. */
  nullable: boolean
  /** Whether the column is a list of `type` (three-level LIST, elements may be NULL). */
  list: boolean
}

/** How a chunk's pages are compressed. */
export interface ChunkCodec {
  name: CompressionCodec
  compress: BlockCompressor
}

// A page ends at the first row boundary past this many bytes of PLAIN values, or of indexes.
const PAGE_BYTES = 1 << 20
const INDEXES_PER_PAGE = 1 << 18

/**
 * The chunk's values flattened to the leaf: the non-null values (in segments, so the batches'
 * arrays are used as they are when they hold no NULL) and, per slot, their levels.
 */
interface Leaves {
  values: readonly ColumnValues[]
  count: number
  definition?: Uint8Array
  repetition?: Uint8Array
  maxDefinition: number
  slots: number
}

function flatLeaves(column: LeafColumn, parts: readonly ColumnValues[], rows: number): Leaves {
  const maxDefinition = column.nullable ? 1 : 0
  let nulls = 0
  if (column.nullable) {
    for (const part of parts) {
      // An int64 vector holds no NULL.
      if (isInt64Vector(part)) continue
      for (let i = 0; i < part.length; i++) if (part[i] === null) nulls++
    }
  }
  if (nulls === 0) {
    // The common case takes no copy per value; levels of all 1 encode as one RLE run.
    const definition = column.nullable ? new Uint8Array(rows).fill(1) : undefined
    return { values: parts, count: rows, definition, maxDefinition, slots: rows }
  }
  const definition = new Uint8Array(rows)
  const values: Value[] = new Array(rows - nulls)
  let slot = 0
  let at = 0
  for (const part of parts) {
    for (let i = 0; i < part.length; i++, slot++) {
      const v = part[i]
      if (v !== null) {
        definition[slot] = 1
        values[at++] = v
      }
    }
  }
  return { values: [values], count: values.length, definition, maxDefinition, slots: rows }
}

/**
 * A list's levels: definition 0 (NULL list, nullable only), then empty list, NULL element and
 * element; repetition 0 starts a row.
 */
function listLeaves(column: LeafColumn, parts: readonly ColumnValues[]): Leaves {
  const base = column.nullable ? 1 : 0
  const definition: number[] = []
  const repetition: number[] = []
  const values: Value[] = []
  for (const part of parts) {
    for (const row of part) {
      if (row === null) {
        definition.push(0)
        repetition.push(0)
        continue
      }
      const items = row as Value[]
      if (items.length === 0) {
        definition.push(base)
        repetition.push(0)
        continue
      }
      for (let i = 0; i < items.length; i++) {
        repetition.push(i === 0 ? 0 : 1)
        if (items[i] === null) definition.push(base + 1)
        else {
          definition.push(base + 2)
          values.push(items[i])
        }
      }
    }
  }
  return {
    values: [values],
    count: values.length,
    definition: Uint8Array.from(definition),
    repetition: Uint8Array.from(repetition),
    maxDefinition: base + 2,
    slots: definition.length,
  }
}

/**
 * The PLAIN width of a number or bigint that may go into a dictionary (text counts its own
 * length, so any non-zero width does), or 0 when the type never takes a dictionary.
 */
function dictionaryWidth(column: LeafColumn): number {
  const { type, element } = column
  if (type.kind === 'bytes' || type.kind === 'uuid' || type.kind === 'bool') return 0
  switch (element.type) {
    case 'INT32':
    case 'FLOAT':
      return 4
    case 'INT64':
    case 'DOUBLE':
      return 8
    case 'FIXED_LEN_BYTE_ARRAY':
      return element.type_length!
    default:
      return 1
  }
}

/** Writes the chunk's pages of an output column to `out`; returns the chunk's footer entry. */
export function writeColumnChunk(
  out: ByteWriter,
  column: LeafColumn,
  parts: readonly ColumnValues[],
  rows: number,
  codec: ChunkCodec,
  buffers: PageBuffers,
): ColumnChunk {
  const leaves = column.list ? listLeaves(column, parts) : flatLeaves(column, parts, rows)
  const { values, count, definition, repetition, maxDefinition, slots } = leaves
  const encoder = plainEncoder(column.type, column.element, buffers.values)
  const width = dictionaryWidth(column)
  const dictionary = width ? buildDictionary(values, count, width) : undefined
  const pages = new PageWriter(out, codec, buffers)
  const start = out.offset
  let dictionaryOffset: bigint | undefined
  if (dictionary) {
    dictionaryOffset = BigInt(out.offset)
    for (const entry of dictionary.entries) encoder.put(entry)
    pages.dictionary(dictionary.entries.length, encoder.take())
  }
  const dataOffset = BigInt(out.offset)
  const encoding = dictionary ? ENCODING.RLE_DICTIONARY : ENCODING.PLAIN
  let slot = 0
  let value = 0
  let segment = 0
  let inSegment = 0
  let dataPages = 0
  // With every slot a value of one width, a page's values go in as runs of whole segments.
  const runWidth = dictionary || count !== slots || repetition ? undefined : encoder.width
  while (slot < slots || dataPages === 0) {
    const firstSlot = slot
    const firstValue = value
    while (runWidth !== undefined && slot < slots && encoder.size < PAGE_BYTES) {
      while (inSegment === values[segment].length) {
        segment++
        inSegment = 0
      }
      // As many as take the page to PAGE_BYTES, as the loop below would.
      const n = Math.min(
        values[segment].length - inSegment,
        Math.ceil((PAGE_BYTES - encoder.size) / runWidth),
      )
      encoder.putRange(values[segment], inSegment, inSegment + n)
      inSegment += n
      slot += n
      value += n
    }
    while (runWidth === undefined && slot < slots) {
      if (definition === undefined || definition[slot] === maxDefinition) {
        if (!dictionary) {
          while (inSegment === values[segment].length) {
            segment++
            inSegment = 0
          }
          encoder.put(values[segment][inSegment++])
        }
        value++
      }
      slot++
      const full = dictionary ? value - firstValue >= INDEXES_PER_PAGE : encoder.size >= PAGE_BYTES
      if (full && (repetition === undefined || slot === slots || repetition[slot] === 0)) break
    }
    const body = dictionary ? indexBytes(buffers.indexes, dictionary, firstValue, value) : encoder.take()
    pages.data({
      levels: { definition, repetition, maxDefinition, from: firstSlot, to: slot },
      values: value - firstValue,
      encoding,
      body,
    })
    dataPages++
  }

  const { min, max, nanCount } = encoder.statistics()
  const statistics = {
    min_value: min,
    max_value: max,
    null_count: BigInt(slots - count),
    nan_count: nanCount,
  } as Statistics
  const encodings: Encoding[] = dictionary ? ['PLAIN', 'RLE_DICTIONARY'] : ['PLAIN']
  if (maxDefinition > 0) encodings.push('RLE')
  const encoding_stats: ColumnMetaData['encoding_stats'] = [
    ...(dictionary ? [{ page_type: 'DICTIONARY_PAGE' as const, encoding: 'PLAIN' as const, count: 1 }] : []),
    { page_type: 'DATA_PAGE_V2', encoding: dictionary ? 'RLE_DICTIONARY' : 'PLAIN', count: dataPages },
  ]
  return {
    file_offset: BigInt(start),
    meta_data: {
      type: column.element.type!,
      encodings,
      path_in_schema: column.path,
      codec: codec.name,
      num_values: BigInt(slots),
      total_uncompressed_size: BigInt(pages.uncompressed),
      total_compressed_size: BigInt(out.offset - start),
      data_page_offset: dataOffset,
      dictionary_page_offset: dictionaryOffset,
      statistics,
      encoding_stats,
    },
  }
}

/** The indexes of values `from..to` as a dictionary data page body: bit width, then hybrid. */
function indexBytes(scratch: PageBuffer, dictionary: Dictionary, from: number, to: number): Uint8Array {
  const width = bitWidth(dictionary.entries.length - 1)
  scratch.ensure(1)
  scratch.bytes[scratch.length++] = width
  writeHybrid(scratch, dictionary.indexes, from, to, width)
  return scratch.take()
}

interface PageLevels {
  definition?: Uint8Array
  repetition?: Uint8Array
  maxDefinition: number
  from: number
  to: number
}

/** Compresses pages and appends them with their headers; counts the uncompressed bytes. */
class PageWriter {
  uncompressed = 0
  private readonly header: PageBuffer
  private readonly levels: PageBuffer

  constructor(private readonly out: ByteWriter, private readonly codec: ChunkCodec, buffers: PageBuffers) {
    this.header = buffers.header
    this.levels = buffers.levels
  }

  dictionary(entries: number, plain: Uint8Array): void {
    const compressed = this.codec.compress(plain)
    writeDictionaryPageHeader(this.header, entries, plain.length, compressed.length)
    this.append([this.header.take(), compressed], plain.length)
  }

  data(page: { levels: PageLevels; values: number; encoding: number; body: Uint8Array }): void {
    const { definition, repetition, maxDefinition, from, to } = page.levels
    if (repetition) writeHybrid(this.levels, repetition, from, to, 1)
    const repetitionBytes = this.levels.length
    if (definition) writeHybrid(this.levels, definition, from, to, bitWidth(maxDefinition))
    const definitionBytes = this.levels.length - repetitionBytes
    let rows = to - from
    if (repetition) {
      rows = 0
      for (let i = from; i < to; i++) if (repetition[i] === 0) rows++
    }
    const compressed = this.codec.compress(page.body)
    const levels = this.levels.take()
    writeDataPageHeader(this.header, {
      values: to - from,
      nulls: to - from - page.values,
      rows,
      encoding: page.encoding,
      definitionBytes,
      repetitionBytes,
      uncompressedSize: levels.length + page.body.length,
      compressedSize: levels.length + compressed.length,
    })
    this.append([this.header.take(), levels, compressed], levels.length + page.body.length)
  }

  private append(chunks: Uint8Array[], uncompressedBody: number): void {
    this.uncompressed += chunks[0].length + uncompressedBody
    for (const chunk of chunks) this.out.appendBytes(chunk)
  }
}
