/**
 * What the type-matrix suites (PostgreSQL, MySQL/MariaDB, SQL Server) share: the column model,
 * the neutral text form that both Parquet readers are mapped to, the exact readers and the
 * whole-file check built on them, footer shapes of rivet's output types, exact CSV text, and
 * exports through the CLI into a local directory. A suite keeps only its table, its expected
 * values and its own cases; tests/helpers/parquet.ts stays the layer that reads the files.
 *
 * The neutral form exists so that no value goes through a float or a Date on the way to the
 * comparison: integers (and days, microseconds) as decimal text, decimals as exact text, floats
 * as JS text with -0 kept, bytes as lowercase hex, JSON as the source's text.
 */
import { expect } from 'bun:test'
import type { FileMetaData } from 'hyparquet'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import zlib from 'node:zlib'
import { errorLines, rivet, type Runtime } from './cli.ts'
import { listFiles, tempDir, writeConfig } from './files.ts'
import {
  decimalText,
  duck,
  duckTypes,
  readHyparquetRaw,
  readWithHyparquet,
  unscaledDecimal,
} from './parquet.ts'

// ---------------------------------------------------------------------------------------------
// The column model and the neutral form.

/** How a column's values are compared: which neutral text form both readers are mapped to. */
export type Kind =
  | 'int'
  | 'dec'
  | 'float'
  | 'bool'
  | 'str'
  | 'bytes'
  | 'uuid'
  | 'json'
  | 'date'
  | 'time'
  | 'ts'

/** One matrix column as the readers need it. */
export interface ColumnSpec {
  name: string
  kind: Kind
  /** A decimal's scale, for turning the unscaled Parquet integer back into text. */
  scale?: number
  /** A list whose elements are of `kind`. */
  list?: boolean
}

/** A value in the neutral form (see the module comment); a list is an array, NULL is null. */
export type Neutral = string | boolean | null | Neutral[]

/** A whole matrix: its columns, every expected row in id order, and DuckDB's type per column. */
export interface TypeMatrix {
  columns: ColumnSpec[]
  rows: Record<string, Neutral>[]
  duckTypes: Record<string, string>
  /** Columns DuckDB cannot read exactly (a suite checks them on their own): left out of its comparison. */
  duckInexact?: string[]
}

/** Expected rows with every column present: a key a row leaves out is NULL. */
export function withNulls(columns: ColumnSpec[], rows: Record<string, Neutral>[]): Record<string, Neutral>[] {
  return rows.map((row) => Object.fromEntries(columns.map((c) => [c.name, row[c.name] ?? null])))
}

/** Bytes as lowercase hex. */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** A float's JS text, with -0 kept (String(-0) is "0"). */
function floatText(value: unknown): string {
  if (typeof value === 'string') return value // DuckDB's JSON rows spell NaN and Infinity out
  return Object.is(value, -0) ? '-0' : String(value)
}

function uuidText(bytes: Uint8Array): string {
  const h = hex(bytes)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const decoder = new TextDecoder('utf-8', { fatal: true })

/** One value from {@link readHyparquetRaw} in the neutral form. */
function fromHyparquet(spec: ColumnSpec, value: unknown): Neutral {
  if (value === null || value === undefined) return null
  switch (spec.kind) {
    case 'int':
    case 'date':
    case 'time':
    case 'ts':
      return String(value)
    case 'dec':
      return decimalText(unscaledDecimal(value), spec.scale!)
    case 'float':
      return floatText(value)
    case 'bytes':
      return hex(value as Uint8Array)
    case 'json':
      return decoder.decode(value as Uint8Array)
    case 'str':
      // hyparquet decodes STRING columns even with utf8: false; plain byte arrays stay bytes.
      return typeof value === 'string' ? value : decoder.decode(value as Uint8Array)
    case 'uuid':
      return typeof value === 'string' ? value : uuidText(value as Uint8Array)
    case 'bool':
      return value as boolean
  }
}

/** Every row of a Parquet file read by hyparquet with nothing inexact on the way, neutral, in id order. */
async function readHyparquetExact(
  path: string,
  columns: ColumnSpec[],
): Promise<Record<string, Neutral>[]> {
  const rows = await readHyparquetRaw(path)
  return rows.map((row) =>
    Object.fromEntries(columns.map((c) => {
      const value = row[c.name]
      // hyparquet returns a NULL list as undefined.
      if (c.list) return [c.name, Array.isArray(value) ? value.map((v) => fromHyparquet(c, v)) : null]
      return [c.name, fromHyparquet(c, value)]
    }))
  ).sort((a, b) => Number(a.id) - Number(b.id))
}

/** The DuckDB SQL that turns the value `x` of a `spec` column into the neutral form. */
function duckExpr(spec: ColumnSpec, x: string): string {
  switch (spec.kind) {
    case 'int':
    case 'dec':
    case 'uuid':
      return `${x}::varchar`
    case 'bytes':
      return `lower(hex(${x}))`
    case 'json':
      // The JSON converted type makes it DuckDB's JSON; its text is the bytes written.
      return `${x}::varchar`
    case 'date':
      return `(${x} - date '1970-01-01')::varchar`
    case 'time':
    case 'ts':
      return `epoch_us(${x})::varchar`
    default:
      // Booleans and strings are already neutral. Floats come back as JSON numbers for floatText:
      // DuckDB's own text of a float is not always JS's.
      return x
  }
}

/** The `columns` of a Parquet file as DuckDB reads them, neutral, in id order. */
async function readDuckExact(path: string, columns: ColumnSpec[]): Promise<Record<string, Neutral>[]> {
  const select = columns.map((c) =>
    c.list
      ? `list_transform(${c.name}, x -> ${duckExpr(c, 'x')}) as ${c.name}`
      : `${duckExpr(c, c.name)} as ${c.name}`
  )
  const rows = await duck(`select ${select.join(', ')} from read_parquet('${path}') order by id`)
  return rows.map((row) =>
    Object.fromEntries(
      columns.map((
        c,
      ) => [c.name, c.kind === 'float' && row[c.name] !== null ? floatText(row[c.name]) : row[c.name]]),
    ) as Record<string, Neutral>
  )
}

/**
 * Checks a matrix Parquet file: every value with hyparquet and with DuckDB, and DuckDB's type
 * of every column. Returns the footer.
 */
export async function checkMatrixParquet(path: string, matrix: TypeMatrix): Promise<FileMetaData> {
  expect(await readHyparquetExact(path, matrix.columns)).toEqual(matrix.rows)
  const inexact = new Set(matrix.duckInexact)
  const exact = matrix.columns.filter((c) => !inexact.has(c.name))
  expect(await readDuckExact(path, exact)).toEqual(
    matrix.rows.map((row) => Object.fromEntries(exact.map((c) => [c.name, row[c.name]]))),
  )
  expect(await duckTypes(path)).toEqual(matrix.duckTypes)
  return (await readWithHyparquet(path)).metadata
}

// ---------------------------------------------------------------------------------------------
// Footer shapes, as tests/helpers/parquet.ts's schemaShape gives them.

/** The footer shape of a DECIMAL column: `length` bytes when FIXED_LEN_BYTE_ARRAY. */
export function decimalShape(type: string, precision: number, scale: number, length?: number) {
  return {
    type,
    ...(length ? { type_length: length } : {}),
    repetition_type: 'OPTIONAL',
    converted_type: 'DECIMAL',
    precision,
    scale,
    logical_type: { type: 'DECIMAL', precision, scale },
  }
}

/** The footer shapes of rivet's other output types that more than one engine writes, OPTIONAL. */
export const FOOTER = {
  string: {
    type: 'BYTE_ARRAY',
    repetition_type: 'OPTIONAL',
    converted_type: 'UTF8',
    logical_type: { type: 'STRING' },
  },
  json: {
    type: 'BYTE_ARRAY',
    repetition_type: 'OPTIONAL',
    converted_type: 'JSON',
    logical_type: { type: 'JSON' },
  },
  uuid: {
    type: 'FIXED_LEN_BYTE_ARRAY',
    type_length: 16,
    repetition_type: 'OPTIONAL',
    logical_type: { type: 'UUID' },
  },
  date: {
    type: 'INT32',
    repetition_type: 'OPTIONAL',
    converted_type: 'DATE',
    logical_type: { type: 'DATE' },
  },
  time: {
    type: 'INT64',
    repetition_type: 'OPTIONAL',
    converted_type: 'TIME_MICROS',
    logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' },
  },
  // TIMESTAMP_MICROS for a local timestamp too, as DuckDB, Arrow C++ and arrow-rs write it.
  timestamp: {
    type: 'INT64',
    repetition_type: 'OPTIONAL',
    converted_type: 'TIMESTAMP_MICROS',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' },
  },
  timestamptz: {
    type: 'INT64',
    repetition_type: 'OPTIONAL',
    converted_type: 'TIMESTAMP_MICROS',
    logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
  },
}

// ---------------------------------------------------------------------------------------------
// CSV.

/**
 * The CSV text rivet must write for a matrix: the column names, then each row (given whole or
 * in pieces that are joined by commas, to keep long rows readable), every line ended by CRLF.
 */
export function matrixCsv(columns: { name: string }[], rows: (string | string[])[]): string {
  const lines = [
    columns.map((c) => c.name).join(','),
    ...rows.map((r) => typeof r === 'string' ? r : r.join(',')),
  ]
  return lines.map((line) => line + '\r\n').join('')
}

/** A CSV file's text, decompressed first when it ends in `.gz` or `.zst`. */
export function readCsv(path: string): string {
  const bytes = readFileSync(path)
  if (path.endsWith('.gz')) return new TextDecoder().decode(zlib.gunzipSync(bytes))
  if (path.endsWith('.zst')) return new TextDecoder().decode(zlib.zstdDecompressSync(bytes))
  return bytes.toString('utf8')
}

// ---------------------------------------------------------------------------------------------
// Exports through the CLI into a local directory.

/** Where a suite's exports read from. */
export interface LocalExportOptions {
  /** The `source:` block of rivet.yaml, ending in a newline; a function when known only once the suite runs. */
  source: string | (() => string)
  /** Environment for every run (a password variable, say). */
  env?: Record<string, string>
}

/** Exports from one source into a fresh local directory per run. */
export interface LocalExports {
  /** Writes rivet.yaml in `dir`: `exports` (YAML list items) to `<dir>/out`; `source` replaces the suite's. */
  config(dir: string, exports: string, source?: string): string
  /** Runs one export that must succeed with no error logged; returns the path of its only data file. */
  exportOne(name: string, settings: string, runtime?: Runtime): Promise<string>
  /** Runs one export that must fail with exit 3, one error line and no file at all; returns its message. */
  exportFails(name: string, settings: string): Promise<string>
}

/** The export helpers of a suite whose source is `options.source`; `settings` are an export's YAML lines. */
export function localExports(options: LocalExportOptions): LocalExports {
  const source = () => typeof options.source === 'string' ? options.source : options.source()
  const config = (dir: string, exports: string, block = source()) =>
    writeConfig(dir, `${block}destination:\n  type: local\n  path: ${join(dir, 'out')}\nexports:\n${exports}`)
  const env = options.env
  return {
    config,
    async exportOne(name, settings, runtime = 'bun') {
      const dir = tempDir()
      const result = await rivet(['run', '-c', config(dir, `  - name: ${name}\n${settings}`)], {
        runtime,
        env,
      })
      expect(result.stderr).not.toContain('"level":"error"')
      expect(result.code).toBe(0)
      const out = join(dir, 'out', name)
      const data = listFiles(out).filter((f) => !f.startsWith('_rivet/'))
      expect(data).toHaveLength(1)
      return join(out, data[0])
    },
    async exportFails(name, settings) {
      const dir = tempDir()
      const result = await rivet(['run', '-c', config(dir, `  - name: ${name}\n${settings}`)], { env })
      expect(result.code).toBe(3)
      const errors = errorLines(result.stderr)
      expect(errors).toHaveLength(1)
      expect(errors[0].exit).toBe(3)
      expect(listFiles(join(dir, 'out'))).toEqual([])
      return errors[0].msg
    },
  }
}
