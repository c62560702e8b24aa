/**
 * BIGINT and DECIMAL read from the binary protocol's bytes into the value contract's bigints.
 * mysql2 hands over BIGINT past 2^53 as long.js text and DECIMAL as text, which src/types then
 * parses (a regular expression and string slicing per value); reading the bytes and digits here
 * costs a fraction of that, and every value stays exact.
 */
import type { Buffer } from 'node:buffer'
import type { BytesDecoder } from './types.ts'

const latin1 = new TextDecoder('latin1')

/**
 * A BIGINT's 8 little-endian bytes at `at`, signed or unsigned: a number when it is a safe
 * integer and `numbers` is set (a column collected into an int64 vector), otherwise a bigint.
 */
export function bigIntAt(b: Buffer, at: number, signed: boolean, numbers = false): number | bigint {
  const low = b[at] + b[at + 1] * 2 ** 8 + b[at + 2] * 2 ** 16 + b[at + 3] * 2 ** 24
  const high = signed ? b.readInt32LE(at + 4) : b.readUInt32LE(at + 4)
  // Exact whenever the result is a safe integer; only larger values take the 64-bit read.
  const n = high * 2 ** 32 + low
  if (Number.isSafeInteger(n)) return numbers ? n : BigInt(n)
  return signed ? b.readBigInt64LE(at) : b.readBigUInt64LE(at)
}

const MINUS = 45
const POINT = 46
const ZERO = 48

/**
 * DECIMAL text (`-123.45`, always with the column's scale of fraction digits) as the unscaled
 * bigint of decimal(precision, scale), or as a number with `numbers` (see {@link bigIntAt}). The
 * digits accumulate in a double, exactly while it stays a safe integer (any 15 digits); larger
 * values, or text not in that plain form, are returned as text for src/types to parse, which also
 * reports values that don't fit.
 */
export function decimalDecoder(precision: number, scale: number, numbers = false): BytesDecoder {
  const limit = 10 ** precision
  return (b, at, length) => {
    const end = at + length
    const negative = b[at] === MINUS
    let n = 0
    let digits = 0
    let point = -1
    let plain = true
    for (let i = negative ? at + 1 : at; i < end && plain; i++) {
      const digit = b[i] - ZERO
      if (digit >= 0 && digit <= 9) {
        n = n * 10 + digit
        digits++
      } else {
        plain = b[i] === POINT && point < 0
        point = digits
      }
    }
    const fraction = point < 0 ? 0 : digits - point
    // Past 2^53 a double stays past it, so a safe integer at the end was exact all along.
    if (!plain || digits === 0 || fraction !== scale || n >= limit || n > Number.MAX_SAFE_INTEGER) {
      return latin1.decode(b.subarray(at, end))
    }
    const unscaled = negative ? -n : n
    return numbers ? unscaled : BigInt(unscaled)
  }
}
