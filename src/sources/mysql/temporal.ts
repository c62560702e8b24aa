/**
 * DATE, DATETIME and TIMESTAMP read from the binary protocol's bytes into days and microseconds.
 * mysql2 would format each value as text (`dateStrings`) for src/types to parse it back: ~15% of
 * a MariaDB read. The bytes are a length (0, 4, 7 or 11) and then the year (16 bits, little
 * endian), month, day, hour, minute, second and microseconds (32 bits); with the session time
 * zone pinned to UTC a TIMESTAMP's are UTC.
 */
import type { Column } from '../../types/output.ts'
import { daysFromCivil, isCalendarDate } from '../../types/temporal.ts'
import { MYSQL_TYPE, type MysqlField } from './types.ts'

/** The parts of mysql2's `typeCast` field wrapper rivet reads. */
export interface CastField {
  type: string
  name: string
  buffer(): Uint8Array | null
}

/** Reads one non-NULL value's bytes into what the column holds. */
export type BytesDecoder = (bytes: Uint8Array) => number | bigint | string

const pad = (n: number, width: number) => String(n).padStart(width, '0')

/**
 * The text mysql2 would have produced (`dateStrings`): for zero dates and days a month doesn't
 * have (`ALLOW_INVALID_DATES`), which the zero date rules and the converter then report as usual.
 */
function dateText(b: Uint8Array, field: MysqlField): string {
  let text = b.length >= 4 ? `${pad(b[0] | (b[1] << 8), 4)}-${pad(b[2], 2)}-${pad(b[3], 2)}` : '0000-00-00'
  if (field.columnType === MYSQL_TYPE.date) return text
  text += b.length >= 7 ? ` ${pad(b[4], 2)}:${pad(b[5], 2)}:${pad(b[6], 2)}` : ' 00:00:00'
  if (b.length >= 11) {
    const micros = pad(b[7] | (b[8] << 8) | (b[9] << 16) | (b[10] * 2 ** 24), 6)
    text += `.${field.decimals ? micros.slice(0, field.decimals) : micros}`
  }
  return text
}

/** Days since 1970-01-01, or undefined for a zero or invalid date. */
function days(b: Uint8Array): number | undefined {
  if (b.length < 4) return undefined
  const year = b[0] | (b[1] << 8)
  return isCalendarDate(year, b[2], b[3]) ? daysFromCivil(year, b[2], b[3]) : undefined
}

function dateDecoder(field: MysqlField): BytesDecoder {
  return (b) => days(b) ?? dateText(b, field)
}

function timestampDecoder(field: MysqlField): BytesDecoder {
  return (b) => {
    const day = days(b)
    if (day === undefined) return dateText(b, field)
    const seconds = day * 86_400 + (b.length >= 7 ? b[4] * 3600 + b[5] * 60 + b[6] : 0)
    const fraction = b.length >= 11 ? b[7] | (b[8] << 8) | (b[9] << 16) | (b[10] * 2 ** 24) : 0
    // Within 2^53 (the years 1685 to 2255) the arithmetic is exact in a double.
    const micros = seconds * 1_000_000 + fraction
    return Number.isSafeInteger(micros) ? BigInt(micros) : BigInt(seconds) * 1_000_000n + BigInt(fraction)
  }
}

/**
 * The byte decoder for a column, when its field is a DATE read as a date or a DATETIME or
 * TIMESTAMP read as a timestamp; other overrides (e.g. string) keep mysql2's text.
 */
export function temporalDecoder(column: Column, field: MysqlField): BytesDecoder | undefined {
  if (field.columnType === MYSQL_TYPE.date && column.type.kind === 'date') return dateDecoder(field)
  const stamp = field.columnType === MYSQL_TYPE.datetime || field.columnType === MYSQL_TYPE.timestamp
  return stamp && column.type.kind === 'timestamp' ? timestampDecoder(field) : undefined
}
