/**
 * The text of the ASCII-only types (integers, decimals, floats, booleans, UUIDs, dates, times and
 * timestamps) written straight into a byte buffer, byte for byte what {@link textFormatter}
 * gives. A JS string per value, joined and then encoded by Buffer.write, cost CSV more CPU than
 * the formatting itself; here digits come from integer math on numbers and go in as bytes. The
 * rare values that math does not cover (bigints past 2^53, years outside 0000..9999) take the
 * text formatter's string, copied in as bytes.
 */
import { Buffer } from 'node:buffer'
import type { OutputType } from '../types/output.ts'
import { dateNumberFromDays, epochDay, MICROS_PER_DAY_NUMBER } from '../types/temporal.ts'
import { textFormatter } from './text.ts'

/** A growable byte buffer that values are appended to. */
export class ByteSink {
  buffer: Buffer
  /** Bytes written so far, from the start of `buffer`. */
  length = 0

  /** A buffer of `capacity` bytes, or `reuse` when given (its bytes are overwritten). */
  constructor(capacity: number, reuse?: Buffer) {
    this.buffer = reuse ?? ByteSink.allocate(capacity)
  }

  // Over the engine's own ArrayBuffer rather than Buffer.allocUnsafe: Bun maps a fresh 2 MB
  // allocUnsafe in new pages, and filling it ran at 1.9 GB/s against 3.9 (page faults).
  private static allocate(capacity: number): Buffer {
    return Buffer.from(new ArrayBuffer(capacity))
  }

  /** Makes room for `bytes` more bytes and returns the buffer to write them into at `length`. */
  room(bytes: number): Buffer {
    if (this.length + bytes > this.buffer.length) {
      const grown = ByteSink.allocate(Math.max(this.buffer.length * 2, this.length + bytes))
      grown.set(this.buffer.subarray(0, this.length))
      this.buffer = grown
    }
    return this.buffer
  }

  /** Appends one byte. */
  byte(value: number): void {
    this.room(1)[this.length++] = value
  }

  /** Appends a string of ASCII characters, a byte each (faster than Buffer.write for short text). */
  ascii(text: string): void {
    const n = text.length
    const buffer = this.room(n)
    const start = this.length
    for (let i = 0; i < n; i++) buffer[start + i] = text.charCodeAt(i)
    this.length = start + n
  }

  /** Appends text as UTF-8. */
  utf8(text: string): void {
    // A UTF-16 unit becomes at most 3 UTF-8 bytes.
    this.length += this.room(text.length * 3).write(text, this.length)
  }
}

/** Appends the text of one non-null value. */
export type ValueWriter = (out: ByteSink, value: never) => void

const MAX_SAFE = Number.MAX_SAFE_INTEGER

// '00' to '99' as byte pairs: two digits per table read and per division.
const PAIRS = new Uint8Array(200)
for (let i = 0; i < 100; i++) {
  PAIRS[2 * i] = 48 + Math.floor(i / 10)
  PAIRS[2 * i + 1] = 48 + (i % 10)
}

/** Writes `count` digits of `n` (an integer below 10^count and 2^31), zero-padded, ending before `end`. */
function putSmallDigits(buffer: Uint8Array, end: number, n: number, count: number): void {
  const start = end - count
  let pos = end
  while (pos - start >= 2) {
    const q = (n / 100) | 0
    const pair = (n - q * 100) * 2
    buffer[--pos] = PAIRS[pair + 1]
    buffer[--pos] = PAIRS[pair]
    n = q
  }
  if (pos > start) buffer[--pos] = 48 + n
}

/** Writes `count` digits of `n` (a safe integer >= 0 below 10^count), zero-padded, ending before `end`. */
function putDigits(buffer: Uint8Array, end: number, n: number, count: number): void {
  // Eight digits at a time keep the division in 32-bit integers; `%` and the exact division of
  // `n - low` split a safe integer without rounding.
  while (count > 8) {
    const low = n % 1e8
    putSmallDigits(buffer, end, low, 8)
    n = (n - low) / 1e8
    end -= 8
    count -= 8
  }
  putSmallDigits(buffer, end, n, count)
}

/** How many digits a safe integer >= 0 has. */
function digitCount(n: number): number {
  let count = 1
  for (let bound = 10; n >= bound && count < 16; bound *= 10) count++
  return count
}

/** Writes a safe integer and returns the end. Room: 17 bytes. */
function putSafeInteger(buffer: Uint8Array, pos: number, n: number): number {
  if (n < 0) {
    buffer[pos++] = 45 // -
    n = -n
  }
  const count = digitCount(n)
  putDigits(buffer, pos + count, n, count)
  return pos + count
}

/** Integers as numbers or bigints: String(v). */
function putInteger(out: ByteSink, v: number | bigint): void {
  const n = Number(v)
  // Past 2^53 the number is rounded (and `n` compares past the bound), so the bigint's own text is used.
  if (n >= -MAX_SAFE && n <= MAX_SAFE) out.length = putSafeInteger(out.room(17), out.length, n)
  else out.ascii(String(v))
}

// Below 2^45 the doubles are less than 0.01 apart. So when `v` is the double nearest some k/100,
// no decimal with fewer digits reads back as `v`, and String(v), the shortest that does, is k/100.
const CENTS_BELOW = 2 ** 45

/**
 * Writes a float that is a whole number of hundredths (prices, amounts) as String(v) would,
 * without the string; false for any other value, zeros included (String(-0) drops the sign).
 */
function putCents(out: ByteSink, v: number): boolean {
  if (v === 0 || !(v > -CENTS_BELOW && v < CENTS_BELOW)) return false
  let k = Math.round(v * 100)
  if (k / 100 !== v) return false
  const buffer = out.room(20)
  let pos = out.length
  if (k < 0) {
    buffer[pos++] = 45 // -
    k = -k
  }
  const cents = k % 100
  pos = putSafeInteger(buffer, pos, (k - cents) / 100)
  if (cents !== 0) {
    buffer[pos++] = 46 // .
    buffer[pos++] = 48 + ((cents / 10) | 0)
    if (cents % 10 !== 0) buffer[pos++] = 48 + (cents % 10)
  }
  out.length = pos
  return true
}

/** Decimals with a fractional part: formatDecimal(v, scale). */
function decimalWriter(scale: number): ValueWriter {
  const text = textFormatter({ kind: 'decimal', precision: 0, scale })
  // Exact up to scale 22; past that still above every safe integer, all it is used with.
  const unit = 10 ** scale
  return (out, v: bigint) => {
    let n = Number(v)
    if (n < -MAX_SAFE || n > MAX_SAFE) return out.ascii(text(v))
    const buffer = out.room(scale + 19)
    let pos = out.length
    if (n < 0) {
      buffer[pos++] = 45 // -
      n = -n
    }
    const fraction = n % unit
    pos = putSafeInteger(buffer, pos, (n - fraction) / unit)
    buffer[pos++] = 46 // .
    pos += scale
    putDigits(buffer, pos, fraction, scale)
    out.length = pos
  }
}

/** Writes `YYYY-MM-DD` of a date number (see dateNumberFromDays) in the years 0 to 9999. */
function putDateNumber(buffer: Uint8Array, pos: number, date: number): void {
  const year = (date / 10000) | 0
  const monthDay = date - year * 10000
  const month = (monthDay / 100) | 0
  putSmallDigits(buffer, pos + 4, year, 4)
  buffer[pos + 4] = 45 // -
  putSmallDigits(buffer, pos + 7, month, 2)
  buffer[pos + 7] = 45
  putSmallDigits(buffer, pos + 10, monthDay - month * 100, 2)
}

const dateText = textFormatter({ kind: 'date' })

/** Dates: formatDate(days). */
function putDate(out: ByteSink, days: number): void {
  const date = dateNumberFromDays(days)
  // ISO 8601's expanded years (sign and six digits) are left to the text formatter.
  if (date < 0 || date > 9999_12_31) return out.ascii(dateText(days))
  putDateNumber(out.room(10), out.length, date)
  out.length += 10
}

const MICROS_PER_MINUTE = 60_000_000

/** Writes `HH:MM:` of a minute of the day (0 to 1440). */
function putHourMinute(buffer: Uint8Array, pos: number, minute: number): void {
  const hour = (minute / 60) | 0
  putSmallDigits(buffer, pos + 2, hour, 2)
  buffer[pos + 2] = 58 // :
  putSmallDigits(buffer, pos + 5, minute - hour * 60, 2)
  buffer[pos + 5] = 58
}

/** Writes `SS.ffffff` of microseconds into a minute (below 61 seconds). */
function putSecondMicros(buffer: Uint8Array, pos: number, micros: number): void {
  const second = (micros / 1_000_000) | 0
  putSmallDigits(buffer, pos + 2, second, 2)
  buffer[pos + 2] = 46 // .
  putSmallDigits(buffer, pos + 9, micros - second * 1_000_000, 6)
}

/** Times: formatTime(micros), `HH:MM:SS.ffffff` of microseconds since midnight (0 to 24 hours). */
function putTime(out: ByteSink, micros: bigint): void {
  const n = Number(micros)
  // Floored exactly: n is below 2^37, so the quotient is far more than an ulp from the next integer.
  const minute = Math.floor(n / MICROS_PER_MINUTE)
  const buffer = out.room(15)
  putHourMinute(buffer, out.length, minute)
  putSecondMicros(buffer, out.length + 6, n - minute * MICROS_PER_MINUTE)
  out.length += 15
}

/** Timestamps: formatTimestamp(micros, utc). */
function timestampWriter(utc: boolean): ValueWriter {
  const text = textFormatter({ kind: 'timestamp', utc })
  // Consecutive timestamps mostly share their minute: its `YYYY-MM-DDTHH:MM:` bytes are kept,
  // so the calendar math and most digits are done once per minute rather than once per value.
  const prefix = new Uint8Array(17)
  let prefixMinute = NaN
  return (out, micros: bigint) => {
    const n = Number(micros)
    // Past 2^53 (before 1684 or after 2255) the bigint math of the text formatter is needed.
    if (n < -MAX_SAFE || n > MAX_SAFE) return out.ascii(text(micros))
    const days = epochDay(n)
    const inDay = n - days * MICROS_PER_DAY_NUMBER
    const minuteInDay = Math.floor(inDay / MICROS_PER_MINUTE)
    const minute = days * 1440 + minuteInDay
    if (minute !== prefixMinute) {
      // Years 1684 to 2255 here, all within 0000..9999.
      putDateNumber(prefix, 0, dateNumberFromDays(days))
      prefix[10] = 84 // T
      putHourMinute(prefix, 11, minuteInDay)
      prefixMinute = minute
    }
    const buffer = out.room(27)
    let pos = out.length
    for (let i = 0; i < 17; i++) buffer[pos + i] = prefix[i]
    putSecondMicros(buffer, pos + 17, inDay - minuteInDay * MICROS_PER_MINUTE)
    pos += 26
    if (utc) buffer[pos++] = 90 // Z
    out.length = pos
  }
}

const HEX = new Uint8Array(Array.from('0123456789abcdef', (c) => c.charCodeAt(0)))

/** UUIDs: uuidText(bytes). */
function putUuid(out: ByteSink, bytes: Uint8Array): void {
  const buffer = out.room(36)
  let pos = out.length
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) buffer[pos++] = 45 // -
    buffer[pos++] = HEX[bytes[i] >> 4]
    buffer[pos++] = HEX[bytes[i] & 15]
  }
  out.length = pos
}

/**
 * The byte writer of a type whose text is always ASCII, never empty and never holds a comma,
 * quote, CR or LF; undefined for the types whose text may need quoting or UTF-8.
 */
export function asciiWriter(type: OutputType): ValueWriter | undefined {
  switch (type.kind) {
    case 'int':
      return putInteger
    case 'decimal':
      return type.scale === 0 ? putInteger : decimalWriter(type.scale)
    case 'float': {
      // Shortest round-trip float text is the engine's String(); the string is only copied.
      const text = textFormatter(type)
      return (out, v: number) => {
        if (!putCents(out, v)) out.ascii(text(v))
      }
    }
    case 'bool': {
      const text = textFormatter(type)
      return (out, v) => out.ascii(text(v))
    }
    case 'uuid':
      return putUuid
    case 'date':
      return putDate
    case 'time':
      return putTime
    case 'timestamp':
      return timestampWriter(type.utc)
    default:
      return undefined
  }
}
