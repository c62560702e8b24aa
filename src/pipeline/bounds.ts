/**
 * Values of cursor, chunk and time-window columns as bound text and back. State files, manifests
 * and range parameters carry bounds as text (`42`, `12.50`, `2026-11-22`,
 * `2026-11-22 10:00:00.000001`): every engine reads that form back as its own type, it sorts the
 * way the values do for dates and times, and it is readable in `rivet state show`.
 */
import { configError } from '../errors.ts'
import { formatDecimal, parseDecimal } from '../types/decimal.ts'
import { type Column, type OutputType, typeName } from '../types/output.ts'
import { formatDate, formatTimestamp, parseDate, parseTimestamp } from '../types/temporal.ts'
import type { Value } from '../types/values.ts'

/** Output types a range can be taken over. */
const RANGE_KINDS = new Set(['int', 'decimal', 'date', 'timestamp', 'string'])

/** Fails unless `column` can bound a range; `key` names the config key in the message. */
export function checkRangeColumn(
  column: Column | undefined,
  key: string,
  name: string,
  columns: Column[],
): Column {
  if (!column) {
    throw configError(
      `${key}: "${name}" is not a column of the result; columns are ${columns.map((c) => c.name).join(', ')}`,
    )
  }
  if (!RANGE_KINDS.has(column.type.kind)) {
    throw configError(
      `${key}: column "${name}" is ${
        typeName(column.type)
      }; use an integer, decimal, date, timestamp or string column`,
    )
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

const MICROS_PER_DAY = 86_400_000_000n

/**
 * The lower bound of a time window: `days` days before `now` for a timestamp column, the date
 * `days` days before today (UTC) for a date column.
 */
export function windowStart(type: OutputType, days: number, now: Date): string {
  const nowMicros = BigInt(now.getTime()) * 1000n
  if (type.kind === 'date') return boundText(Math.floor(now.getTime() / 86_400_000) - days, type)
  if (type.kind === 'timestamp') return boundText(nowMicros - BigInt(days) * MICROS_PER_DAY, type)
  throw configError(`time_column must be a date or timestamp column, not ${typeName(type)}`)
}
