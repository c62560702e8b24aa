/**
 * Conversion of driver values into the {@link Value} representation of an output type. Drivers
 * are asked for text, bigint or bytes (never a lossy JS number or Date), and every source
 * converts through here, so the rules for exactness live in one place.
 */
import { parseDecimal } from './decimal.ts'
import type { OutputType } from './output.ts'
import { parseDate, parseTime, parseTimestamp } from './temporal.ts'
import type { Value } from './values.ts'

/** What a driver hands over for one value. */
export type DriverValue = string | number | bigint | boolean | Uint8Array | null | undefined | DriverValue[]

/** Converts one driver value; throws a RangeError that says why a value cannot be stored. */
export type Converter = (value: DriverValue) => Value

const intRanges: Record<string, [bigint, bigint]> = {
  'true8': [-128n, 127n],
  'true16': [-32768n, 32767n],
  'true32': [-2147483648n, 2147483647n],
  'true64': [-(2n ** 63n), 2n ** 63n - 1n],
  'false8': [0n, 255n],
  'false16': [0n, 65535n],
  'false32': [0n, 4294967295n],
  'false64': [0n, 2n ** 64n - 1n],
}

function wrongKind(value: DriverValue, type: string): never {
  throw new RangeError(`${typeof value} value ${String(value).slice(0, 40)} cannot be stored as ${type}`)
}

function toBigInt(value: DriverValue, type: string): bigint {
  if (typeof value === 'bigint') return value
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value)
  if (typeof value === 'boolean') return value ? 1n : 0n
  if (typeof value === 'string' && /^[+-]?\d+$/.test(value.trim())) return BigInt(value.trim())
  return wrongKind(value, type)
}

function intConverter(bits: number, signed: boolean): Converter {
  const [min, max] = intRanges[`${signed}${bits}`]
  const name = `${signed ? 'int' : 'uint'}${bits}`
  return (value) => {
    const n = toBigInt(value, name)
    if (n < min || n > max) throw new RangeError(`${n} is out of range for ${name}`)
    return bits === 64 ? n : Number(n)
  }
}

function floatConverter(): Converter {
  return (value) => {
    if (typeof value === 'number') return value
    if (typeof value === 'bigint') return Number(value)
    if (typeof value === 'string') {
      const t = value.trim()
      if (t === 'NaN') return NaN
      if (t === 'Infinity' || t === 'inf') return Infinity
      if (t === '-Infinity' || t === '-inf') return -Infinity
      const n = Number(t)
      if (t !== '' && !Number.isNaN(n)) return n
    }
    return wrongKind(value, 'float')
  }
}

function boolConverter(): Converter {
  return (value) => {
    if (typeof value === 'boolean') return value
    if (value === 't' || value === 'true' || value === '1' || value === 1 || value === 1n) return true
    if (value === 'f' || value === 'false' || value === '0' || value === 0 || value === 0n) return false
    return wrongKind(value, 'bool')
  }
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

function stringConverter(): Converter {
  return (value) => {
    if (typeof value === 'string') return value
    if (value instanceof Uint8Array) return decoder.decode(value)
    if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
      return String(value)
    }
    return wrongKind(value, 'string')
  }
}

function bytesConverter(): Converter {
  return (value) => {
    if (value instanceof Uint8Array) return value
    if (typeof value === 'string') return encoder.encode(value)
    return wrongKind(value, 'bytes')
  }
}

function uuidConverter(): Converter {
  return (value) => {
    if (value instanceof Uint8Array && value.length === 16) return value
    if (typeof value === 'string') {
      const hex = value.replace(/[{}-]/g, '')
      if (/^[0-9a-fA-F]{32}$/.test(hex)) {
        const out = new Uint8Array(16)
        for (let i = 0; i < 16; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
        return out
      }
    }
    return wrongKind(value, 'uuid')
  }
}

function decimalConverter(precision: number, scale: number): Converter {
  return (value) => {
    if (typeof value === 'bigint') return parseDecimal(value.toString(), precision, scale)
    // A JS number's shortest round-trip text is the value the source stored (e.g. SQLite REAL).
    if (typeof value === 'number' && Number.isFinite(value)) {
      return parseDecimal(String(value), precision, scale)
    }
    if (typeof value === 'string') return parseDecimal(value, precision, scale)
    return wrongKind(value, `decimal(${precision},${scale})`)
  }
}

function textOnly(parse: (text: string) => Value, type: string): Converter {
  return (value) => typeof value === 'string' ? parse(value) : wrongKind(value, type)
}

// Parquet stores days in an INT32 and microseconds in an INT64. PostgreSQL's dates fit, its
// timestamps reach past 294247-01-10; text from other sources can hold any year.
function dateConverter(): Converter {
  const [min, max] = intRanges.true32.map(Number)
  return textOnly((text) => {
    const days = parseDate(text)
    if (days < min || days > max) {
      throw new RangeError(`${text} is beyond the 32-bit day range of a Parquet date`)
    }
    return days
  }, 'date')
}

function timestampConverter(type: string): Converter {
  const [min, max] = intRanges.true64
  return textOnly((text) => {
    const micros = parseTimestamp(text)
    if (micros < min || micros > max) {
      throw new RangeError(`${text} is beyond the 64-bit microsecond range of a Parquet timestamp`)
    }
    return micros
  }, type)
}

/** The converter for values of an output type. NULL (null or undefined) is always null. */
export function converterFor(type: OutputType): Converter {
  const convert = baseConverter(type)
  return (value) => value === null || value === undefined ? null : convert(value)
}

function baseConverter(type: OutputType): Converter {
  switch (type.kind) {
    case 'int':
      return intConverter(type.bits, type.signed)
    case 'decimal':
      return decimalConverter(type.precision, type.scale)
    case 'float':
      return floatConverter()
    case 'bool':
      return boolConverter()
    case 'string':
    case 'interval':
      return stringConverter()
    case 'json':
      return stringConverter()
    case 'bytes':
      return bytesConverter()
    case 'uuid':
      return uuidConverter()
    case 'date':
      return dateConverter()
    case 'time':
      return textOnly(parseTime, 'time')
    case 'timestamp':
      return timestampConverter(type.utc ? 'timestamptz' : 'timestamp')
    case 'list': {
      const element = converterFor(type.element)
      return (value) => {
        if (!Array.isArray(value)) return wrongKind(value, 'list')
        return value.map(element)
      }
    }
  }
}
