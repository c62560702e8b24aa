/**
 * Values of cursor, chunk and time-window columns as bound text and back. State files, manifests
 * and range parameters carry bounds as text (`42`, `12.50`, `2026-11-22`,
 * `2026-11-22 10:00:00.000001`): every engine reads that form back as its own type, it sorts the
 * way the values do for dates and times, and it is readable in `rivet state show`.
 */
import { configError } from '../errors.ts'
import { formatDecimal, parseDecimal } from '../types/decimal.ts'
import { type Column, type OutputType, typeName } from '../types/output.ts'
import { formatDate, formatTimestamp, MICROS_PER_DAY, parseDate, parseTimestamp } from '../types/temporal.ts'
import type { Value } from '../types/values.ts'

/** The modes that read a range of one column, the key naming that column, and the types it may have. */
const RANGE_MODES = {
  incremental: { key: 'cursor_column', kinds: ['int', 'decimal', 'date', 'timestamp', 'string'] },
  chunked: { key: 'chunk_column', kinds: ['int', 'date'] },
  time_window: { key: 'time_column', kinds: ['date', 'timestamp'] },
} as const

/** A mode that reads a range of one column. */
export type RangeMode = keyof typeof RANGE_MODES

/** "an integer, date or string column": the kinds as a user reads them. */
function kindList(kinds: readonly string[]): string {
  const words = kinds.map((k) => k === 'int' ? 'integer' : k)
  const list = words.length > 1 ? `${words.slice(0, -1).join(', ')} or ${words.at(-1)}` : words[0]
  return `${/^[aeiou]/.test(list) ? 'an' : 'a'} ${list} column`
}

/**
 * The column a mode reads a range of, checked against the result's columns and the types the
 * mode can bound; undefined for `full`. `exportName` names the key in messages.
 */
export function rangeColumn(
  mode: RangeMode | 'full',
  names: Partial<Record<'cursor_column' | 'chunk_column' | 'time_column', string>>,
  exportName: string,
  columns: Column[],
): Column | undefined {
  if (mode === 'full') return undefined
  const { key, kinds } = RANGE_MODES[mode]
  const name = names[key]!
  const column = columns.find((c) => c.name === name)
  const where = `exports.${exportName}.${key}`
  if (!column) {
    throw configError(
      `${where}: "${name}" is not a column of the result; columns are ${
        columns.map((c) => c.name).join(', ')
      }`,
    )
  }
  if (!(kinds as readonly string[]).includes(column.type.kind)) {
    throw configError(`${where}: column "${name}" is ${typeName(column.type)}; use ${kindList(kinds)}`)
  }
  return column
}

/** A value of a range column (not null) as bound text. */
export function boundText(value: Value, type: OutputType): string {
  switch (type.kind) {
    case 'decimal':
      return formatDecimal(value as bigint, type.scale)
    case 'date':
      return formatDate(value as number)
    case 'timestamp':
      // Without the ISO `T` and `Z`: MySQL and SQL Server read this form, and UTC is every session's zone.
      return formatTimestamp(value as bigint, false).replace('T', ' ')
    default:
      return String(value)
  }
}

/** Bound text back as a value in the column's representation (src/types/values.ts). */
export function boundValue(text: string, type: OutputType): Value {
  switch (type.kind) {
    case 'int':
      return type.bits === 64 ? BigInt(text) : Number(text)
    case 'decimal':
      return parseDecimal(text, type.precision, type.scale)
    case 'date':
      return parseDate(text)
    case 'timestamp':
      return parseTimestamp(text)
    default:
      return text
  }
}

/** Orders two non-null values of one range column. */
export function compareValues(a: Value, b: Value): number {
  return a! < b! ? -1 : a! > b! ? 1 : 0
}

/**
 * The lower bound of a time window: `days` days before `now` for a timestamp column, the date
 * `days` days before today (UTC) for a date column.
 */
export function windowStart(type: OutputType, days: number, now: Date): string {
  if (type.kind === 'date') return boundText(Math.floor(now.getTime() / 86_400_000) - days, type)
  return boundText(BigInt(now.getTime()) * 1000n - BigInt(days) * MICROS_PER_DAY, type)
}
