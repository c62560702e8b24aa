/**
 * Parquet page headers in Thrift's compact protocol. Only the fields rivet writes: the page
 * type and sizes, and the dictionary or data page (v2) header. The file footer is
 * parquet-footer.ts's.
 */
import type { PageBuffer } from './parquet-buffer.ts'
import { writeVarint } from './parquet-levels.ts'

/** Encoding numbers from parquet.thrift. */
export const ENCODING = { PLAIN: 0, RLE: 3, RLE_DICTIONARY: 8 } as const

const DICTIONARY_PAGE = 2
const DATA_PAGE_V2 = 3
const I32 = 5
const STRUCT = 12

/** The counts and sizes of one data page (v2). */
export interface DataPageHeader {
  values: number
  nulls: number
  rows: number
  encoding: number
  definitionBytes: number
  repetitionBytes: number
  uncompressedSize: number
  compressedSize: number
}

function i32Fields(out: PageBuffer, values: number[]): void {
  for (const v of values) {
    out.ensure(1)
    out.bytes[out.length++] = (1 << 4) | I32
    writeVarint(out, v >= 0 ? v * 2 : -v * 2 - 1)
  }
}

function header(out: PageBuffer, type: number, uncompressed: number, compressed: number): void {
  i32Fields(out, [type, uncompressed, compressed])
}

/** Appends the header of a dictionary page of `entries` PLAIN values. */
export function writeDictionaryPageHeader(
  out: PageBuffer,
  entries: number,
  uncompressed: number,
  compressed: number,
): void {
  header(out, DICTIONARY_PAGE, uncompressed, compressed)
  out.ensure(1)
  out.bytes[out.length++] = (4 << 4) | STRUCT // field 7, four after field 3
  i32Fields(out, [entries, ENCODING.PLAIN])
  out.ensure(2)
  out.bytes[out.length++] = 0
  out.bytes[out.length++] = 0
}

/** Appends the header of a data page (v2). */
export function writeDataPageHeader(out: PageBuffer, page: DataPageHeader): void {
  header(out, DATA_PAGE_V2, page.uncompressedSize, page.compressedSize)
  out.ensure(1)
  out.bytes[out.length++] = (5 << 4) | STRUCT // field 8, five after field 3
  i32Fields(out, [
    page.values,
    page.nulls,
    page.rows,
    page.encoding,
    page.definitionBytes,
    page.repetitionBytes,
  ])
  out.ensure(2)
  out.bytes[out.length++] = 0
  out.bytes[out.length++] = 0
}
