/**
 * Values as text, for CSV and for the JSON text of lists: exact decimals, shortest round-trip
 * floats, ISO 8601 dates and times, lowercase hex bytes, canonical UUIDs.
 */
import { formatDecimal } from '../types/decimal.ts'
import type { OutputType } from '../types/output.ts'
import { formatDate, formatTime, formatTimestamp } from '../types/temporal.ts'
import type { Value } from '../types/values.ts'

const hexDigits = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** Lowercase hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += hexDigits[bytes[i]]
  return out
}

/** Canonical `8-4-4-4-12` UUID text. */
export function uuidText(bytes: Uint8Array): string {
  const h = toHex(bytes)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

function floatText(n: number): string {
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return 'Infinity'
  if (n === -Infinity) return '-Infinity'
  // Keep the sign of negative zero, which String() drops.
  return Object.is(n, -0) ? '-0' : String(n)
}

/** A function that turns one non-null value of `type` into its text. */
export function textFormatter(type: OutputType): (value: Value) => string {
  switch (type.kind) {
    case 'int':
      return (v) => String(v)
    case 'bool':
      return (v) => v ? 'true' : 'false'
    case 'decimal':
      return (v) => formatDecimal(v as bigint, type.scale)
    case 'float':
      return (v) => floatText(v as number)
    case 'string':
    case 'json':
    case 'interval':
      return (v) => v as string
    case 'bytes':
      return (v) => toHex(v as Uint8Array)
    case 'uuid':
      return (v) => uuidText(v as Uint8Array)
    case 'date':
      return (v) => formatDate(v as number)
    case 'time':
      return (v) => formatTime(v as bigint)
    case 'timestamp':
      return (v) => formatTimestamp(v as bigint, type.utc)
    case 'list': {
      const element = jsonFormatter(type.element)
      return (v) => '[' + (v as Value[]).map((x) => x === null ? 'null' : element(x)).join(',') + ']'
    }
  }
}

/** Like {@link textFormatter}, but as a JSON literal (numbers bare, everything else quoted). */
function jsonFormatter(type: OutputType): (value: Value) => string {
  const text = textFormatter(type)
  switch (type.kind) {
    case 'int':
    case 'decimal':
    case 'bool':
    case 'list':
    case 'json':
      return text
    case 'float':
      return (v) => Number.isFinite(v) ? text(v) : JSON.stringify(text(v))
    default:
      return (v) => JSON.stringify(text(v))
  }
}
