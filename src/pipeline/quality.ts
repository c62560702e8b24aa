/**
 * `quality:` rules, measured over the rows as they stream past (no second query, no second read)
 * and judged once the parts are written, before the manifest: a failing rule marks the manifest
 * failed, keeps the parts for inspection, leaves the state where it was and exits 6.
 */
import type { ExportConfig } from '../config/schema.ts'
import { closest } from '../config/suggest.ts'
import { configError, dataCheckError, type RivetError } from '../errors.ts'
import { textFormatter } from '../formats/text.ts'
import type { Column } from '../types/output.ts'
import type { ColumnBatch, Value } from '../types/values.ts'
import { hash64, HashSet64 } from './hash-set.ts'
import type { QualityFailure } from './manifest.ts'

interface NullCount {
  index: number
  column: string
  limit: number
  nulls: number
}

interface Uniqueness {
  index: number
  column: string
  key: (value: Value) => string | Uint8Array
  /**
   * One 64-bit hash per distinct non-NULL value: memory grows with the column's distinct values
   * (16-32 bytes each, see hash-set.ts), not with rows. 10 million distinct ids take 160-320 MB.
   */
  seen: HashSet64
  duplicates: number
}

/** Keeps a rule's column list to the result's columns; a typo gets a "did you mean". */
function columnIndex(exp: ExportConfig, columns: Column[], rule: string, name: string): number {
  const index = columns.findIndex((c) => c.name === name)
  if (index >= 0) return index
  const guess = closest(name, columns.map((c) => c.name))
  throw configError(
    `exports.${exp.name}.quality.${rule}: "${name}" is not a column of the result${
      guess ? `; did you mean "${guess}"?` : ''
    }`,
  )
}

/** Short text of a ratio for messages: 0.3333333 -> 0.3333. */
function ratioText(ratio: number): string {
  return String(Number(ratio.toPrecision(4)))
}

/** Measures one run's rows against its export's `quality:` rules. */
export class QualityObserver {
  private rows = 0
  private readonly nullCounts: NullCount[]
  private readonly uniques: Uniqueness[]

  /** Checks that every column a rule names is in the result (a config error otherwise). */
  constructor(private readonly exp: ExportConfig, columns: Column[]) {
    const rules = exp.quality ?? {}
    this.nullCounts = Object.entries(rules.null_ratio_max ?? {}).map(([column, limit]) => ({
      index: columnIndex(exp, columns, 'null_ratio_max', column),
      column,
      limit,
      nulls: 0,
    }))
    this.uniques = [...new Set(rules.unique_columns ?? [])].map((column) => {
      const index = columnIndex(exp, columns, 'unique_columns', column)
      const type = columns[index].type
      // Bytes hash as they are; every other type by its exact text.
      const text = textFormatter(type)
      const key = type.kind === 'bytes' || type.kind === 'uuid'
        ? (v: Value) => v as Uint8Array
        : (v: Value) => text(v)
      return { index, column, key, seen: new HashSet64(), duplicates: 0 }
    })
  }

  /** Whether a rule looks at values; row counts need none. */
  get readsValues(): boolean {
    return this.nullCounts.length > 0 || this.uniques.length > 0
  }

  /** Takes in one batch of the run's rows. */
  observe(batch: ColumnBatch): void {
    this.rows += batch.length
    for (const count of this.nullCounts) {
      const values = batch.columns[count.index]
      for (let row = 0; row < batch.length; row++) if (values[row] === null) count.nulls++
    }
    for (const unique of this.uniques) {
      const values = batch.columns[unique.index]
      for (let row = 0; row < batch.length; row++) {
        const value = values[row]
        // NULLs are not values: like a UNIQUE constraint, many NULLs are not duplicates.
        if (value === null) continue
        const [high, low] = hash64(unique.key(value))
        if (!unique.seen.add(high, low)) unique.duplicates++
      }
    }
  }

  /** The rules that failed over every row observed; empty when all hold. */
  failures(): QualityFailure[] {
    const rules = this.exp.quality ?? {}
    const out: QualityFailure[] = []
    const rows = this.rows
    if (rules.row_count_min !== undefined && rows < rules.row_count_min) {
      out.push({
        rule: 'row_count_min',
        column: null,
        measured: rows,
        limit: rules.row_count_min,
        message: `row_count_min: ${rows} rows, fewer than ${rules.row_count_min}`,
      })
    }
    if (rules.row_count_max !== undefined && rows > rules.row_count_max) {
      out.push({
        rule: 'row_count_max',
        column: null,
        measured: rows,
        limit: rules.row_count_max,
        message: `row_count_max: ${rows} rows, more than ${rules.row_count_max}`,
      })
    }
    for (const { column, limit, nulls } of this.nullCounts) {
      const ratio = rows === 0 ? 0 : nulls / rows
      if (ratio <= limit) continue
      out.push({
        rule: 'null_ratio_max',
        column,
        measured: ratio,
        limit,
        message: `null_ratio_max: column ${column} is ${
          ratioText(ratio)
        } NULL (${nulls} of ${rows} rows), more than ${limit}`,
      })
    }
    for (const { column, duplicates } of this.uniques) {
      if (duplicates === 0) continue
      out.push({
        rule: 'unique_columns',
        column,
        measured: duplicates,
        limit: 0,
        message: `unique_columns: column ${column} has ${duplicates} duplicate value(s)`,
      })
    }
    return out
  }
}

/** The quality observer of an export, or undefined without `quality:` rules. */
export function qualityObserver(exp: ExportConfig, columns: Column[]): QualityObserver | undefined {
  return exp.quality ? new QualityObserver(exp, columns) : undefined
}

/** The exit-6 error of a run whose rules failed: the first failure, and where the evidence is. */
export function qualityError(exportName: string, runId: string, failures: QualityFailure[]): RivetError {
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more rule(s), listed in the manifest)` : ''
  return dataCheckError(
    `export ${exportName}: quality rule ${failures[0].message}${more}; run ${runId} is marked failed ` +
      'in its manifest, its parts are kept for inspection and the state was not advanced',
    'QUALITY_FAILED',
  )
}
