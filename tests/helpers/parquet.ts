/**
 * Independent Parquet readers for tests: hyparquet (with zstd and gzip from the runtime's zlib)
 * and DuckDB. rivet's own code never vouches for its files.
 */
import { DuckDBInstance } from '@duckdb/node-api'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import type { FileMetaData, SchemaElement } from 'hyparquet'
import { readFileSync } from 'node:fs'
import zlib from 'node:zlib'

// hyparquet brings no zstd or gzip of its own; the runtime's zlib has both.
const compressors = {
  ZSTD: (input: Uint8Array, size: number) => new Uint8Array(zlib.zstdDecompressSync(input)).subarray(0, size),
  GZIP: (input: Uint8Array, size: number) => new Uint8Array(zlib.gunzipSync(input)).subarray(0, size),
}

function arrayBuffer(path: string): ArrayBuffer {
  const buf = readFileSync(path)
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer
}

/** Reads a Parquet file with hyparquet: its footer and its rows as objects. */
export async function readWithHyparquet(
  path: string,
): Promise<{ metadata: FileMetaData; rows: Record<string, unknown>[] }> {
  const file = arrayBuffer(path)
  const metadata = parquetMetadata(file)
  const rows = await parquetReadObjects({
    file,
    compressors,
    utf8: true,
  }) as Record<string, unknown>[]
  return { metadata, rows }
}

let instance: Promise<DuckDBInstance> | undefined

/** Runs SQL in an in-memory DuckDB; rows come back as JSON-safe objects (big numbers as text). */
export async function duck(sql: string): Promise<Record<string, unknown>[]> {
  instance ??= DuckDBInstance.create(':memory:')
  const connection = await (await instance).connect()
  try {
    const reader = await connection.runAndReadAll(sql)
    return reader.getRowObjectsJson() as Record<string, unknown>[]
  } finally {
    connection.closeSync()
  }
}

/** Column name -> DuckDB type of a Parquet file. */
export async function duckTypes(path: string): Promise<Record<string, string>> {
  const rows = await duck(`describe select * from read_parquet('${path}')`)
  return Object.fromEntries(rows.map((r) => [r.column_name as string, r.column_type as string]))
}

/** A Parquet DECIMAL's unscaled value: INT32, INT64 or big-endian two's complement bytes. */
export function unscaledDecimal(value: unknown): bigint {
  if (!(value instanceof Uint8Array)) return BigInt(value as number | bigint)
  let n = 0n
  for (const byte of value) n = n * 256n + BigInt(byte)
  return value.length && value[0] >= 0x80 ? n - (1n << BigInt(value.length * 8)) : n
}

/** An unscaled decimal as exact text with `scale` fractional digits. */
export function decimalText(n: bigint, scale: number): string {
  const digits = (n < 0n ? -n : n).toString().padStart(scale + 1, '0')
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits
  return (n < 0n ? '-' : '') + text
}

/**
 * Reads with hyparquet so that nothing goes through a float or a Date: DECIMAL annotations are
 * dropped from a copy of the footer (hyparquet would scale into a float) to get the unscaled
 * integers, timestamps and dates come back as the stored integers, and byte arrays stay bytes.
 */
export async function readHyparquetRaw(path: string): Promise<Record<string, unknown>[]> {
  const file = arrayBuffer(path)
  const metadata = parquetMetadata(file)
  const schema = metadata.schema.map((e) =>
    e.converted_type === 'DECIMAL' ? { ...e, converted_type: undefined, logical_type: undefined } : e
  )
  return await parquetReadObjects({
    file,
    metadata: { ...metadata, schema },
    compressors,
    utf8: false,
    // JSON as its bytes too: hyparquet parses JSON-annotated columns by default.
    parsers: {
      timestampFromMicroseconds: (v: bigint) => v,
      dateFromDays: (d: number) => d,
      jsonFromBytes: (b: Uint8Array) => b,
    },
  }) as Record<string, unknown>[]
}

/** The parts of a footer schema element a test pins down, without hyparquet's undefined fields. */
export function elementShape(e: SchemaElement): Record<string, unknown> {
  const keys = [
    'type',
    'type_length',
    'repetition_type',
    'converted_type',
    'precision',
    'scale',
    'logical_type',
  ] as const
  return Object.fromEntries(keys.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]))
}

/** {@link elementShape} of the footer's element for the column `name`. */
export function schemaShape(metadata: FileMetaData, name: string): Record<string, unknown> {
  const e = metadata.schema.find((x) => x.name === name)
  if (!e) throw new Error(`no column ${name} in the footer`)
  return elementShape(e)
}

/**
 * The footer elements of a top-level column: its own for a plain column; for a list, the list,
 * its repeated group and its element, in footer order.
 */
export function columnElements(metadata: FileMetaData, name: string): SchemaElement[] {
  const i = metadata.schema.findIndex((e) => e.name === name)
  if (i < 0) throw new Error(`no column ${name} in the footer`)
  const e = metadata.schema[i]
  return e.num_children ? metadata.schema.slice(i, i + 3) : [e]
}

/** The distinct compression codecs of a file's column chunks, in the order they first appear. */
export function footerCodecs(metadata: FileMetaData): (string | undefined)[] {
  return [...new Set(metadata.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)))]
}
