/**
 * Planning an export: what query runs, which columns it yields with which output types (the
 * source's mapping plus `columns:` overrides), and which format writes them. An unsupported
 * column without an override stops here, before anything is written.
 */
import { readFile } from 'node:fs/promises'
import { type LoadedConfig, resolvePath } from '../config/load.ts'
import type { DestinationConfig, ExportConfig } from '../config/schema.ts'
import { substitute } from '../config/variables.ts'
import { configError, sourceError } from '../errors.ts'
import { type CsvCompression, csvFormat } from '../formats/csv.ts'
import type { Format } from '../formats/format.ts'
import { parquetFormat } from '../formats/parquet.ts'
import type { Source } from '../sources/source.ts'
import { type Column, type DescribedColumn, type OutputType, parseTypeName } from '../types/output.ts'
import { rangeColumn } from './bounds.ts'
import { capturePlan, changeColumns } from './capture.ts'
import type { DriftPolicy } from './drift.ts'
import { type MetaColumnName, metaColumns } from './meta.ts'
import { type PartitionSpec, partitionSpec } from './partitions.ts'
import { DEFAULT_STALL_TIMEOUT_S } from './stall.ts'
import { type QualityRules, qualityRules } from './quality.ts'

/**
 * Default Parquet row group target, in estimated input bytes (~26k rows of an 8-column table).
 * hyparquet-writer holds ~1-2 KB of JS heap per row while it encodes a row group (the values,
 * copies, levels, a Uint8Array per string), so this bounds memory. scripts/bench/postgres-parquet.ts
 * (8 columns, Bun): 32 MB peaked at ~1 GB RSS; 4 MB ~200 MB and 2 MB ~170 MB at 1M rows (with the
 * collections in sources/batch.ts). The cost: files ~14% larger than with 32 MB row groups; set
 * `row_group_size` higher when memory allows.
 */
export const DEFAULT_ROW_GROUP_BYTES = 2 * 1024 * 1024

/** What the export's mode reads: the whole query, or a range of one column. */
export type ModePlan =
  | { mode: 'full' }
  | { mode: 'incremental'; column: Column }
  | { mode: 'chunked'; column: Column; chunkSize: number; parallel: number; maxAttempts: number }
  | { mode: 'time_window'; column: Column; days: number }
  | ReturnType<typeof capturePlan>

/** An export ready to run: everything a run needs, so nothing below the plan reads the config. */
export interface ExportPlan {
  name: string
  query: string
  mode: ModePlan
  described: DescribedColumn[]
  /** The query's columns, as read. */
  columns: Column[]
  /** `meta_columns`: what rivet appends to every row. */
  meta: MetaColumnName[]
  /** What the files hold: the query's columns, then the meta columns. */
  output: Column[]
  format: Format
  formatName: 'parquet' | 'csv'
  compression: string
  maxFileSize: number | undefined
  /** `partition_by`: the directory of each row. */
  partitions: PartitionSpec | undefined
  /** `quality:` rules, measured as rows stream. */
  quality: QualityRules | undefined
  /** `on_schema_drift`: what a change of the output columns since the last run does. */
  onSchemaDrift: DriftPolicy
  /** `stall_timeout`: how long a slice may get no rows from the source and give none to the destination. */
  stallTimeoutMs: number
  /** `skip_empty`: a run with no rows writes no data file. */
  skipEmpty: boolean
  /** Where the export writes (its own destination or the top-level one). */
  destination: DestinationConfig
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
 * the planned columns, so a typo fails `check`, `--dry-run` and `run` before anything is read,
 * and resolves them.
 */
export function checkColumnKeys(
  exp: ExportConfig,
  columns: Column[],
): Pick<ExportPlan, 'mode' | 'partitions' | 'quality'> {
  return {
    mode: modePlan(exp, columns),
    partitions: partitionSpec(exp, columns),
    quality: qualityRules(exp, columns),
  }
}

/** The mode's settings with its column found among the result's; the schema made sure they are set. */
function modePlan(exp: ExportConfig, columns: Column[]): ModePlan {
  const mode = exp.mode
  if (mode === 'full') return { mode }
  if (mode === 'cdc') return capturePlan(exp)
  const column = rangeColumn(mode, exp, exp.name, columns)!
  switch (mode) {
    case 'incremental':
      return { mode, column }
    case 'chunked':
      return {
        mode,
        column,
        chunkSize: exp.chunk_size!,
        parallel: exp.parallel ?? 1,
        maxAttempts: exp.chunk_max_attempts ?? 3,
      }
    case 'time_window':
      return { mode, column, days: exp.days_window! }
  }
}

/** Describes the export's query on the source and plans its columns and format. */
export async function planExport(
  exp: ExportConfig,
  source: Source,
  loaded: LoadedConfig,
): Promise<ExportPlan> {
  const query = await exportQuery(exp, source, loaded)
  const described = await source.describe(query)
  // A change row has the table's columns, then what the change was and where in the log.
  const columns = exp.mode === 'cdc'
    ? changeColumns(planColumns(exp, described))
    : planColumns(exp, described)
  const keys = checkColumnKeys(exp, columns)
  const meta = metaColumns(exp.meta_columns ?? [])
  const clash = meta.find((m) => columns.some((c) => c.name === m.name))
  if (clash) {
    throw configError(
      `exports.${exp.name}.meta_columns: the query already has a column "${clash.name}"; rename it in the query`,
    )
  }
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
    format = parquetFormat(parquetCompression, exp.row_group_size ?? { bytes: DEFAULT_ROW_GROUP_BYTES })
    compression = parquetCompression
  }
  return {
    name: exp.name,
    query,
    ...keys,
    described,
    columns,
    meta: exp.meta_columns ?? [],
    output: [...columns, ...meta],
    format,
    formatName,
    compression,
    maxFileSize: exp.max_file_size,
    skipEmpty: exp.skip_empty ?? false,
    onSchemaDrift: exp.on_schema_drift,
    stallTimeoutMs: (exp.stall_timeout ?? DEFAULT_STALL_TIMEOUT_S) * 1000,
    destination: exp.destination,
  }
}
