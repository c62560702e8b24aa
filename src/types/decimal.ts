/**
 * Exact decimals: text in, unscaled bigint out, and back. No value passes through a float.
 */

const decimalRe = /^([+-])?(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

/**
 * Parses decimal text (`-12.50`, `1e3`) into the unscaled integer for `scale`. Throws when the
 * value has more significant fractional digits than `scale` or more digits than `precision`.
 */
export function parseDecimal(text: string, precision: number, scale: number): bigint {
  const m = decimalRe.exec(text.trim())
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new RangeError(`"${text}" is not a decimal number`)
  const digits = ((m[2] ?? '') + (m[3] ?? '')).replace(/^0+/, '')
  if (digits === '') return 0n
  // Position of the decimal point counted from the right end of `digits`.
  const fraction = (m[3] ?? '').length - Number(m[4] ?? 0)
  // Checked before any padding, so an exponent like 1e999999999 fails instead of filling memory.
  if (digits.length - fraction + scale > precision) {
    throw new RangeError(`${text} does not fit decimal(${precision},${scale})`)
  }
  let unscaled = digits
  if (fraction > scale) {
    const keep = Math.max(digits.length - (fraction - scale), 0)
    if (/[^0]/.test(digits.slice(keep))) {
      throw new RangeError(`${text} has more than ${scale} decimal places and cannot be stored exactly`)
    }
    unscaled = digits.slice(0, keep)
  } else {
    unscaled += '0'.repeat(scale - fraction)
  }
  const value = BigInt(unscaled)
  return m[1] === '-' ? -value : value
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)

/** Formats an unscaled integer with `scale` fractional digits: `(-1250n, 2)` -> `-12.50`. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n
  const sign = negative ? '-' : ''
  const magnitude = negative ? -unscaled : unscaled
  // A safe integer prints the same digits through Number, a little faster than bigint toString.
  const digits = magnitude <= MAX_SAFE ? String(Number(magnitude)) : magnitude.toString()
  if (scale === 0) return sign + digits
  if (digits.length > scale) return sign + digits.slice(0, -scale) + '.' + digits.slice(-scale)
  return sign + '0.' + digits.padStart(scale, '0')
}
