/**
 * DATE, DATETIME and TIMESTAMP read from the binary protocol's bytes into days and microseconds.
 * mysql2 would format each value as text (`dateStrings`) for src/types to parse it back: ~15% of
 * a MariaDB read. The bytes are a length (0, 4, 7 or 11) and then the year (16 bits, little
 * endian), month, day, hour, minute, second and microseconds (32 bits); with the session time
 * zone pinned to UTC a TIMESTAMP's are UTC.
 */
import type { Column } from '../../types/output.ts'
import { daysFromCivil, isCalendarDate } from '../../types/temporal.ts'
import type { BytesDecoder } from './types.ts'
import { MYSQL_TYPE, type MysqlField } from './types.ts'

const pad = (n: number, width: number) => String(n).padStart(width, '0')

/** The 32-bit little-endian microseconds at `at`. */
const micros = (b: Uint8Array, at: number) =>
  b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] * 2 ** 24)

/**
 * The text mysql2 would have produced (`dateStrings`): for zero dates and days a month doesn't
 * have (`ALLOW_INVALID_DATES`), which the zero date rules and the converter then report as usual.
 */
function dateText(b: Uint8Array, at: number, length: number, field: MysqlField): string {
  let text = length >= 4
    ? `${pad(b[at] | (b[at + 1] << 8), 4)}-${pad(b[at + 2], 2)}-${pad(b[at + 3], 2)}`
    : '0000-00-00'
  if (field.columnType === MYSQL_TYPE.date) return text
  text += length >= 7 ? ` ${pad(b[at + 4], 2)}:${pad(b[at + 5], 2)}:${pad(b[at + 6], 2)}` : ' 00:00:00'
  if (length >= 11) {
    const fraction = pad(micros(b, at + 7), 6)
    text += `.${field.decimals ? fraction.slice(0, field.decimals) : fraction}`
  }
  return text
}

/** Days since 1970-01-01, or undefined for a zero or invalid date. */
function days(b: Uint8Array, at: number, length: number): number | undefined {
  if (length < 4) return undefined
  const year = b[at] | (b[at + 1] << 8)
  return isCalendarDate(year, b[at + 2], b[at + 3]) ? daysFromCivil(year, b[at + 2], b[at + 3]) : undefined
}

function dateDecoder(field: MysqlField): BytesDecoder {
  return (b, at, length) => days(b, at, length) ?? dateText(b, at, length, field)
}

function timestampDecoder(field: MysqlField, numbers: boolean): BytesDecoder {
  return (b, at, length) => {
    const day = days(b, at, length)
    if (day === undefined) return dateText(b, at, length, field)
    const seconds = day * 86_400 + (length >= 7 ? b[at + 4] * 3600 + b[at + 5] * 60 + b[at + 6] : 0)
    const fraction = length >= 11 ? micros(b, at + 7) : 0
    // Within 2^53 (the years 1685 to 2255) the arithmetic is exact in a double.
    const total = seconds * 1_000_000 + fraction
    if (Number.isSafeInteger(total)) return numbers ? total : BigInt(total)
    return BigInt(seconds) * 1_000_000n + BigInt(fraction)
  }
}

/**
 * The byte decoder for a column, when its field is a DATE read as a date or a DATETIME or
 * TIMESTAMP read as a timestamp; other overrides (e.g. string) keep mysql2's text. With
 * `numbers`, safe microseconds come as numbers rather than bigints (an int64 vector's column).
 */
export function temporalDecoder(
  column: Column,
  field: MysqlField,
  numbers = false,
): BytesDecoder | undefined {
  if (field.columnType === MYSQL_TYPE.date && column.type.kind === 'date') return dateDecoder(field)
  const stamp = field.columnType === MYSQL_TYPE.datetime || field.columnType === MYSQL_TYPE.timestamp
  return stamp && column.type.kind === 'timestamp' ? timestampDecoder(field, numbers) : undefined
}
