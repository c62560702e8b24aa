/**
 * Decoders from PostgreSQL's binary wire format straight into the values of src/types/values.ts:
 * no text per value and no parsing. A column gets one only when its output type is the one
 * rivet maps its PostgreSQL type to, so overrides keep going through the text converters. A
 * value the fast path refuses (NaN, infinity, out of range) is handed to the text converter as
 * PostgreSQL's own text, so it fails or passes exactly as it does on the text path.
 */
import { Buffer } from 'node:buffer'
import type { Converter } from '../../types/convert.ts'
import { civilFromDays, MICROS_PER_DAY } from '../../types/temporal.ts'
import { type Column, typeName } from '../../types/output.ts'
import { holdsInt64, setInt64Words, type Value } from '../../types/values.ts'
import { numericSafeUnscaled, numericUnscaled } from './numeric.ts'
import { describePgColumn, PG_OID, type PgColumnInfo } from './types.ts'

/**
 * Decodes one non-NULL field of `length` bytes at `at` (offsets into `view`'s whole buffer,
 * which `bytes` covers too).
 */
export type FieldDecoder = (view: DataView, bytes: Buffer, at: number, length: number) => Value

type Utf8Slicing = Buffer & { utf8Slice?(start: number, end: number): string }

// Node's, Bun's and Deno's Buffers have utf8Slice (what toString calls after checking its
// arguments): 2 to 3x faster than TextDecoder on a subarray for short text, with no subarray.
const utf8Slice: (bytes: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as Utf8Slicing).utf8Slice === 'function'
    ? (bytes, start, end) => (bytes as Utf8Slicing).utf8Slice!(start, end)
    : (bytes, start, end) => bytes.toString('utf8', start, end)

/**
 * UTF-8 text of a field; PostgreSQL sends text types in the client encoding, UTF-8. Invalid
 * bytes become U+FFFD, as TextDecoder's do.
 */
export const decodeText: FieldDecoder = (_view, bytes, at, length) => utf8Slice(bytes, at, at + length)

/** A decoder for a field sent as text: its UTF-8 through the column's text converter. */
export function textFieldDecoder(convert: Converter): FieldDecoder {
  return (view, bytes, at, length) => convert(decodeText(view, bytes, at, length) as string)
}

// PostgreSQL counts days and microseconds from 2000-01-01.
const PG_EPOCH_DAYS = 10957
const PG_EPOCH_MICROS = 946_684_800_000_000n
const INT64_MAX = 2n ** 63n - 1n

/** PostgreSQL's text for a timestamp past the Parquet range (only the far future can be). */
function timestampText(pgMicros: bigint, utc: boolean): string {
  if (pgMicros === INT64_MAX) return 'infinity'
  if (pgMicros === -INT64_MAX - 1n) return '-infinity'
  const micros = pgMicros + PG_EPOCH_MICROS
  const [y, m, d] = civilFromDays(Number(micros / MICROS_PER_DAY))
  const rest = Number(micros % MICROS_PER_DAY)
  const seconds = Math.floor(rest / 1_000_000)
  const fraction = rest % 1_000_000
  const two = (n: number) => String(n).padStart(2, '0')
  const time = `${two(Math.floor(seconds / 3600))}:${two(Math.floor(seconds / 60) % 60)}:${two(seconds % 60)}`
  const frac = fraction ? '.' + String(fraction).padStart(6, '0').replace(/0+$/, '') : ''
  return `${y}-${two(m)}-${two(d)} ${time}${frac}${utc ? '+00' : ''}`
}

/** The shortest decimal that reads back as the same float32, as PostgreSQL's float4out gives it. */
function float4Value(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value
  for (let digits = 1; digits < 9; digits++) {
    const shortest = Number(value.toPrecision(digits))
    if (Math.fround(shortest) === value) return shortest
  }
  return Number(value.toPrecision(9))
}

type Maker = (column: Column, text: Converter) => FieldDecoder

const int32: Maker = () => (view, _bytes, at) => view.getInt32(at)

const decoders: Record<number, Maker> = {
  16: () => (_view, bytes, at) => bytes[at] !== 0,
  21: () => (view, _bytes, at) => view.getInt16(at),
  23: int32,
  20: () => (view, _bytes, at) => view.getBigInt64(at),
  26: () => (view, _bytes, at) => BigInt(view.getUint32(at)),
  700: () => (view, _bytes, at) => float4Value(view.getFloat32(at)),
  701: () => (view, _bytes, at) => view.getFloat64(at),
  // The raw cash value is the unscaled amount: lc_monetary is C, which has two fraction digits.
  [PG_OID.money]: () => (view, _bytes, at) => view.getBigInt64(at),
  1700: (column, text) => {
    if (column.type.kind !== 'decimal') throw new Error('numeric decodes to decimal only')
    const { precision, scale } = column.type
    return (view, _bytes, at) => {
      const unscaled = numericUnscaled(view, at, precision, scale)
      return typeof unscaled === 'bigint' ? unscaled : text(unscaled)
    }
  },
  25: () => decodeText,
  1043: () => decodeText,
  1042: () => decodeText,
  19: () => decodeText,
  114: () => decodeText,
  // jsonb's binary form is a version byte (1) and then its text.
  3802: () => (view, bytes, at, length) => {
    if (bytes[at] !== 1) throw new RangeError(`jsonb version ${bytes[at]} is not known`)
    return decodeText(view, bytes, at + 1, length - 1)
  },
  // Copies: a Buffer's slice would share the socket's memory.
  [PG_OID.bytea]: () => (_view, bytes, at, length) => new Uint8Array(bytes.subarray(at, at + length)),
  2950: () => (_view, bytes, at) => new Uint8Array(bytes.subarray(at, at + 16)),
  1082: (_column, text) => (view, _bytes, at) => {
    const days = view.getInt32(at)
    // int32 min and max are -infinity and infinity.
    if (days === 0x7fffffff) return text('infinity')
    if (days === -0x80000000) return text('-infinity')
    return days + PG_EPOCH_DAYS
  },
  1083: () => (view, _bytes, at) => view.getBigInt64(at),
  1114: (_column, text) => timestampDecoder(false, text),
  1184: (_column, text) => timestampDecoder(true, text),
}

function timestampDecoder(utc: boolean, text: Converter): FieldDecoder {
  // Below this, adding the epoch shift cannot pass int64's end; int64's end itself is infinity.
  const safe = INT64_MAX - PG_EPOCH_MICROS
  return (view, _bytes, at) => {
    const pg = view.getBigInt64(at)
    if (pg > safe || pg === -INT64_MAX - 1n) return text(timestampText(pg, utc))
    return pg + PG_EPOCH_MICROS
  }
}

/** Whether a column is read in binary: its output type is the one rivet maps its type to. */
function readsBinary(info: PgColumnInfo, column: Column): boolean {
  const mapped = describePgColumn(info).type
  return mapped !== undefined && typeName(mapped) === typeName(column.type)
}

/**
 * The binary decoder for a column, or undefined when it must be read as text: the type has no
 * decoder here, or the column's output type was overridden. `text` converts PostgreSQL's text of
 * a value (used for the values the decoder refuses).
 */
export function binaryDecoder(info: PgColumnInfo, column: Column, text: Converter): FieldDecoder | undefined {
  if (!readsBinary(info, column)) return undefined
  // An enum's binary form is its label.
  if (info.category === 'E') return decodeText
  if (info.category === 'A') return undefined
  return decoders[info.oid]?.(column, text)
}

/**
 * Decodes a non-NULL field of an int64 column into `words`, the low and high int32 of each row
 * (an Int64Vector's memory), at `row`. False when the value needs the column's
 * {@link FieldDecoder} (infinities, values past the fast range); nothing is written then.
 */
export type Int64FieldDecoder = (view: DataView, at: number, words: Int32Array, row: number) => boolean

const TWO_32 = 4294967296

const copyWords: Int64FieldDecoder = (view, at, words, row) => {
  words[2 * row] = view.getInt32(at + 4)
  words[2 * row + 1] = view.getInt32(at)
  return true
}

const PG_EPOCH_MICROS_NUMBER = Number(PG_EPOCH_MICROS)

// Within 2^51 microseconds (71,000 years) of 2000 the shift to 1970 is exact in a double;
// infinity and everything further go through the FieldDecoder.
const timestampWords: Int64FieldDecoder = (view, at, words, row) => {
  const high = view.getInt32(at)
  if (high >= 0x80000 || high < -0x80000) return false
  setInt64Words(words, row, high * TWO_32 + view.getUint32(at + 4) + PG_EPOCH_MICROS_NUMBER)
  return true
}

const int64Decoders: Record<number, (column: Column) => Int64FieldDecoder> = {
  20: () => copyWords,
  1083: () => copyWords,
  [PG_OID.money]: () => copyWords,
  26: () => (view, at, words, row) => {
    words[2 * row] = view.getUint32(at)
    words[2 * row + 1] = 0
    return true
  },
  1114: () => timestampWords,
  1184: () => timestampWords,
  1700: (column) => {
    const { precision, scale } = column.type as { precision: number; scale: number }
    return (view, at, words, row) => {
      const unscaled = numericSafeUnscaled(view, at, precision, scale)
      if (unscaled === undefined) return false
      setInt64Words(words, row, unscaled)
      return true
    }
  },
}

/**
 * The decoder of a column read in binary into an int64 vector (see src/types/values.ts), or
 * undefined when its values go into an array.
 */
export function int64Decoder(info: PgColumnInfo, column: Column): Int64FieldDecoder | undefined {
  if (!holdsInt64(column.type) || !readsBinary(info, column) || info.category === 'A') return undefined
  return int64Decoders[info.oid]?.(column)
}
