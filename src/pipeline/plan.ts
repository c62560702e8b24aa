/**
 * Planning an export: what query runs, which columns it yields with which output types (the
 * source's mapping plus `columns:` overrides), and which format writes them. An unsupported
 * column without an override stops here, before anything is written.
 */
import { readFile } from 'node:fs/promises'
import { type LoadedConfig, resolvePath } from '../config/load.ts'
import type { ExportConfig } from '../config/schema.ts'
import { substitute } from '../config/variables.ts'
import { parseSize } from '../config/size.ts'
import { configError, sourceError } from '../errors.ts'
import { type CsvCompression, csvFormat } from '../formats/csv.ts'
import type { Format } from '../formats/format.ts'
import { parquetFormat, type RowGroupTarget } from '../formats/parquet.ts'
import type { Source } from '../sources/source.ts'
import { type Column, type DescribedColumn, type OutputType, parseTypeName } from '../types/output.ts'
import { rangeColumn } from './bounds.ts'
import { partitionSpec } from './partitions.ts'
import { qualityObserver } from './quality.ts'

/**
 * Default Parquet row group target, in estimated input bytes (~26k rows of an 8-column table).
 * hyparquet-writer holds ~1-2 KB of JS heap per row while it encodes a row group (the values,
 * copies, levels, a Uint8Array per string), so this bounds memory. scripts/bench/postgres-parquet.ts
 * (8 columns, Bun): 32 MB peaked at ~1 GB RSS; 4 MB ~200 MB and 2 MB ~170 MB at 1M rows (with the
 * collections in sources/batch.ts). The cost: files ~14% larger than with 32 MB row groups; set
 * `row_group_size` higher when memory allows.
 */
export const DEFAULT_ROW_GROUP_BYTES = 2 * 1024 * 1024

/** An export ready to run. */
export interface ExportPlan {
  name: string
  query: string
  /** The cursor, chunk or time column of the export's mode. */
  rangeColumn: Column | undefined
  described: DescribedColumn[]
  columns: Column[]
  format: Format
  formatName: 'parquet' | 'csv'
  compression: string
  maxFileSize: number | undefined
}

/**
 * The SQL an export runs. A `query_file` gets the same `${NAME}` substitution (from `-p`, then
 * the environment) as the config file itself.
 */
export async function exportQuery(exp: ExportConfig, source: Source, loaded: LoadedConfig): Promise<string> {
  if (exp.table) return source.selectAll(exp.table)
  if (exp.query) return exp.query.trim().replace(/;\s*$/, '')
  const file = resolvePath(loaded, exp.query_file!)
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch {
    throw configError(`exports.${exp.name}.query_file: ${file} cannot be read`)
  }
  const { value, missing } = substitute(text, loaded.vars)
  if (missing.length) {
    throw configError(
      `${file}: \${${missing[0]}} is not set: pass -p ${missing[0]}=... or export ${missing[0]}`,
      'CONFIG_UNRESOLVED_VARIABLE',
    )
  }
  return value.trim().replace(/;\s*$/, '')
}

/** Applies overrides to described columns; fails on unknown override names and unsupported types. */
export function planColumns(exp: ExportConfig, described: DescribedColumn[]): Column[] {
  const overrides = exp.columns ?? {}
  const names = new Set(described.map((c) => c.name))
  for (const name of Object.keys(overrides)) {
    if (!names.has(name)) {
      throw configError(
        `exports.${exp.name}.columns: "${name}" is not a column of the result; columns are ${
          [...names].join(', ')
        }`,
      )
    }
  }
  const unsupported = described.filter((c) => !c.type && !columnOverride(exp, c.name).type)
  if (unsupported.length) {
    const list = unsupported.map((c) => `column "${c.name}" (${c.sourceType}): ${c.hint}`).join('; ')
    throw sourceError(`export ${exp.name}: ${list}`, 'UNSUPPORTED_TYPE')
  }
  return described.map((c) => {
    const override = columnOverride(exp, c.name)
    return {
      name: c.name,
      sourceType: c.sourceType,
      type: override.type ?? c.type!,
      nullable: c.nullable || override.zeroDatesAsNull,
      ...(override.zeroDatesAsNull ? { zeroDatesAsNull: true } : {}),
    }
  })
}

/** A column's `columns:` entry, in either form, with its type parsed. */
export function columnOverride(
  exp: ExportConfig,
  name: string,
): { type?: OutputType; zeroDatesAsNull: boolean } {
  const entry = exp.columns?.[name]
  const spec = typeof entry === 'string' ? { type: entry } : entry ?? {}
  return {
    type: spec.type ? parseTypeName(spec.type, `exports.${exp.name}.columns.${name}`) : undefined,
    zeroDatesAsNull: 'zero_dates' in spec && spec.zero_dates === 'as_null',
  }
}

/**
 * Checks the keys that name result columns (the mode's column, `partition_by`, `quality`) against
 * the planned columns, so a typo fails `check`, `--dry-run` and `run` before anything is read.
 * Returns the mode's column.
 */
export function checkColumnKeys(exp: ExportConfig, columns: Column[]): Column | undefined {
  partitionSpec(exp, columns)
  qualityObserver(exp, columns)
  return rangeColumn(exp.mode, exp, exp.name, columns)
}

function rowGroupTarget(exp: ExportConfig): RowGroupTarget {
  const value = exp.row_group_size
  if (value === undefined) return { bytes: DEFAULT_ROW_GROUP_BYTES }
  if (typeof value === 'number') return { rows: value }
  return { bytes: parseSize(value, `exports.${exp.name}.row_group_size`) }
}

/** Describes the export's query on the source and plans its columns and format. */
export async function planExport(
  exp: ExportConfig,
  source: Source,
  loaded: LoadedConfig,
): Promise<ExportPlan> {
  const query = await exportQuery(exp, source, loaded)
  const described = await source.describe(query)
  const columns = planColumns(exp, described)
  const rangeColumn = checkColumnKeys(exp, columns)
  const formatName = exp.format
  let format: Format
  let compression: string
  if (formatName === 'csv') {
    // The config schema already refused snappy for csv.
    const csvCompression = (exp.compression ?? 'none') as CsvCompression
    format = csvFormat(csvCompression)
    compression = csvCompression
  } else {
    const parquetCompression = exp.compression ?? 'zstd'
    format = parquetFormat(parquetCompression, rowGroupTarget(exp))
    compression = parquetCompression
  }
  const maxFileSize = exp.max_file_size === undefined
    ? undefined
    : parseSize(exp.max_file_size, `exports.${exp.name}.max_file_size`)
  return {
    name: exp.name,
    query,
    rangeColumn,
    described,
    columns,
    format,
    formatName,
    compression,
    maxFileSize,
  }
}
