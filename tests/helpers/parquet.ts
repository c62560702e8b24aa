/**
 * Independent Parquet readers for tests: hyparquet (with zstd and gzip from the runtime's zlib)
 * and DuckDB. rivet's own code never vouches for its files.
 */
import { DuckDBInstance } from '@duckdb/node-api'
import { parquetMetadata, parquetReadObjects } from 'hyparquet'
import type { FileMetaData } from 'hyparquet'
import { readFileSync } from 'node:fs'
import zlib from 'node:zlib'

const compressors = {
  ZSTD: (input: Uint8Array) => new Uint8Array(zlib.zstdDecompressSync(input)),
  GZIP: (input: Uint8Array) => new Uint8Array(zlib.gunzipSync(input)),
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
    compressors: {
      ZSTD: (input, size) => compressors.ZSTD(input).subarray(0, size),
      GZIP: (input, size) => compressors.GZIP(input).subarray(0, size),
    },
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
