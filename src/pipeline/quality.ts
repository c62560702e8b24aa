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

/** A `null_ratio_max` rule on one column. */
interface NullRule {
  index: number
  column: string
  limit: number
}

/** A `unique_columns` rule on one column, with the key its values are told apart by. */
interface UniqueRule {
  index: number
  column: string
  key: (value: Value) => string | Uint8Array
}

/** An export's `quality:` rules, checked against the result's columns and ready to measure. */
export interface QualityRules {
  rowCountMin?: number
  rowCountMax?: number
  nullRatios: NullRule[]
  uniques: UniqueRule[]
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

/**
 * The export's rules over `columns`, or undefined without `quality:`. A rule naming a column the
 * result does not have is a config error, found before anything is read.
 */
export function qualityRules(exp: ExportConfig, columns: Column[]): QualityRules | undefined {
  const rules = exp.quality
  if (!rules) return undefined
  return {
    rowCountMin: rules.row_count_min,
    rowCountMax: rules.row_count_max,
    nullRatios: Object.entries(rules.null_ratio_max ?? {}).map(([column, limit]) => ({
      index: columnIndex(exp, columns, 'null_ratio_max', column),
      column,
      limit,
    })),
    uniques: [...new Set(rules.unique_columns ?? [])].map((column) => {
      const index = columnIndex(exp, columns, 'unique_columns', column)
      const type = columns[index].type
      // Bytes hash as they are; every other type by its exact text.
      const text = textFormatter(type)
      const key = type.kind === 'bytes' || type.kind === 'uuid'
        ? (v: Value) => v as Uint8Array
        : (v: Value) => text(v)
      return { index, column, key }
    }),
  }
}

/** Short text of a ratio for messages: 0.3333333 -> 0.3333. */
function ratioText(ratio: number): string {
  return String(Number(ratio.toPrecision(4)))
}

/** Measures one run's rows against its export's `quality:` rules. */
export class QualityObserver {
  private rows = 0
  private readonly nulls: number[]
  /**
   * One 64-bit hash per distinct non-NULL value of each unique column: memory grows with the
   * column's distinct values (16-32 bytes each, see hash-set.ts), not with rows. 10 million
   * distinct ids take 160-320 MB.
   */
  private readonly seen: HashSet64[]
  private readonly duplicates: number[]

  constructor(private readonly rules: QualityRules) {
    this.nulls = rules.nullRatios.map(() => 0)
    this.seen = rules.uniques.map(() => new HashSet64())
    this.duplicates = rules.uniques.map(() => 0)
  }

  /** Whether a rule looks at values; row counts need none. */
  get readsValues(): boolean {
    return this.rules.nullRatios.length > 0 || this.rules.uniques.length > 0
  }

  /** Takes in one batch of the run's rows. */
  observe(batch: ColumnBatch): void {
    this.rows += batch.length
    this.rules.nullRatios.forEach((rule, i) => {
      const values = batch.columns[rule.index]
      for (let row = 0; row < batch.length; row++) if (values[row] === null) this.nulls[i]++
    })
    this.rules.uniques.forEach((rule, i) => {
      const values = batch.columns[rule.index]
      const seen = this.seen[i]
      for (let row = 0; row < batch.length; row++) {
        const value = values[row]
        // NULLs are not values: like a UNIQUE constraint, many NULLs are not duplicates.
        if (value === null) continue
        const [high, low] = hash64(rule.key(value))
        if (!seen.add(high, low)) this.duplicates[i]++
      }
    })
  }

  /** The rules that failed over every row observed; empty when all hold. */
  failures(): QualityFailure[] {
    const rules = this.rules
    const out: QualityFailure[] = []
    const rows = this.rows
    if (rules.rowCountMin !== undefined && rows < rules.rowCountMin) {
      out.push({
        rule: 'row_count_min',
        column: null,
        measured: rows,
        limit: rules.rowCountMin,
        message: `row_count_min: ${rows} rows, fewer than ${rules.rowCountMin}`,
      })
    }
    if (rules.rowCountMax !== undefined && rows > rules.rowCountMax) {
      out.push({
        rule: 'row_count_max',
        column: null,
        measured: rows,
        limit: rules.rowCountMax,
        message: `row_count_max: ${rows} rows, more than ${rules.rowCountMax}`,
      })
    }
    rules.nullRatios.forEach(({ column, limit }, i) => {
      const nulls = this.nulls[i]
      const ratio = rows === 0 ? 0 : nulls / rows
      if (ratio <= limit) return
      out.push({
        rule: 'null_ratio_max',
        column,
        measured: ratio,
        limit,
        message: `null_ratio_max: column ${column} is ${
          ratioText(ratio)
        } NULL (${nulls} of ${rows} rows), more than ${limit}`,
      })
    })
    rules.uniques.forEach(({ column }, i) => {
      const duplicates = this.duplicates[i]
      if (duplicates === 0) return
      out.push({
        rule: 'unique_columns',
        column,
        measured: duplicates,
        limit: 0,
        message: `unique_columns: column ${column} has ${duplicates} duplicate value(s)`,
      })
    })
    return out
  }
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
