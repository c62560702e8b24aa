/**
 * Incremental exports read from the last committed cursor value *inclusive*: rows that share
 * that value but committed after the last run are not lost. The rows the last run already
 * exported at that value are recognised by a fingerprint of their contents and skipped, so they
 * are not exported twice. Rows that commit late with a value below the cursor cannot be seen by
 * any cursor; give such tables a cursor assigned at commit time, or re-export them in full.
 */
import { createHash } from 'node:crypto'
import { textFormatter } from '../formats/text.ts'
import type { Column } from '../types/output.ts'
import type { ColumnBatch, Value } from '../types/values.ts'
import { boundText, boundValue, compareValues } from './bounds.ts'

/** What an incremental run leaves for the next: the highest value and the rows that carry it. */
export interface CursorPosition {
  value: string
  boundary: string[]
}

/** Identifies rows across runs: sha256 over every value's text form, NULL marked apart from text. */
class Fingerprinter {
  private readonly formatters: ((value: Value) => string)[]

  constructor(columns: Column[]) {
    this.formatters = columns.map((c) => textFormatter(c.type))
  }

  of(row: Value[]): string {
    const hash = createHash('sha256')
    row.forEach((value, i) => {
      hash.update(value === null ? '\u0000N' : `\u0001${this.formatters[i](value)}`)
      hash.update('\u0002')
    })
    return hash.digest('hex').slice(0, 32)
  }
}

function rowOf(batch: ColumnBatch, row: number): Value[] {
  return batch.columns.map((values) => values[row])
}

/** Keeps rows of `batch` where `keep` is true, as a batch of its own. */
function filterRows(batch: ColumnBatch, keep: boolean[]): ColumnBatch {
  const kept = keep.filter(Boolean).length
  if (kept === batch.length) return batch
  return {
    length: kept,
    // Array's filter takes an int64 vector too, and hands back a plain array.
    columns: batch.columns.map((values) => Array.prototype.filter.call(values, (_, i) => keep[i]) as Value[]),
    bytes: Math.round(batch.bytes * kept / Math.max(batch.length, 1)),
  }
}

/**
 * Drops the rows the previous run exported at its last cursor value. A multiset: two identical
 * rows exported before are two to skip, a third identical one is new.
 */
export function skipExported(
  columns: Column[],
  cursorIndex: number,
  previous: CursorPosition,
): { stream: TransformStream<ColumnBatch, ColumnBatch>; skipped: () => number } {
  const type = columns[cursorIndex].type
  let skipped = 0
  const last = boundValue(previous.value, type)
  const counts = new Map<string, number>()
  for (const print of previous.boundary) counts.set(print, (counts.get(print) ?? 0) + 1)
  const prints = new Fingerprinter(columns)
  const stream = new TransformStream<ColumnBatch, ColumnBatch>({
    transform(batch, controller) {
      const cursor = batch.columns[cursorIndex]
      const keep = Array.from({ length: batch.length }, (_, row) => {
        const value = cursor[row]
        if (value === null || compareValues(value, last) !== 0) return true
        const print = prints.of(rowOf(batch, row))
        const left = counts.get(print) ?? 0
        if (left === 0) return true
        counts.set(print, left - 1)
        skipped++
        return false
      })
      const kept = filterRows(batch, keep)
      if (kept.length) controller.enqueue(kept)
    },
  })
  return { stream, skipped: () => skipped }
}

/**
 * Follows the highest cursor value of the rows exported and remembers the rows that carry it.
 * Those rows are fingerprinted only at the end: with a steadily growing cursor nearly every row
 * is briefly the highest, and hashing each would cost more than encoding it.
 */
export class CursorTracker {
  private readonly type: Column['type']
  private readonly prints: Fingerprinter
  private max: Value = null
  private carried: string[] = []
  private rows: Value[][] = []

  constructor(
    columns: Column[],
    private readonly cursorIndex: number,
    /** Where the previous run stopped: rows at its value join its boundary. */
    previous: CursorPosition | undefined,
  ) {
    this.type = columns[cursorIndex].type
    this.prints = new Fingerprinter(columns)
    if (previous) {
      this.max = boundValue(previous.value, this.type)
      this.carried = [...previous.boundary]
    }
  }

  readonly readsValues = true

  /** Takes note of a batch about to be written. */
  observe(batch: ColumnBatch): void {
    const cursor = batch.columns[this.cursorIndex]
    for (let row = 0; row < batch.length; row++) {
      const value = cursor[row]
      if (value === null) continue
      const order = this.max === null ? 1 : compareValues(value, this.max)
      if (order < 0) continue
      if (order > 0) {
        this.max = value
        this.carried = []
        this.rows = []
      }
      // A copy: a batch's arrays may be reused once it is written.
      this.rows.push(rowOf(batch, row))
    }
  }

  /** The position to commit, or undefined when no row had a cursor value. */
  position(): CursorPosition | undefined {
    if (this.max === null) return undefined
    const boundary = [...this.carried, ...this.rows.map((row) => this.prints.of(row))]
    return { value: boundText(this.max, this.type), boundary }
  }
}
