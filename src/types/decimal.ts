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
  let digits = (m[2] ?? '') + (m[3] ?? '')
  // Position of the decimal point counted from the right end of `digits`.
  let fraction = (m[3] ?? '').length - Number(m[4] ?? 0)
  if (fraction < 0) {
    digits += '0'.repeat(-fraction)
    fraction = 0
  }
  if (fraction > scale) {
    const dropped = digits.slice(digits.length - (fraction - scale))
    if (/[^0]/.test(dropped)) {
      throw new RangeError(`${text} has more than ${scale} decimal places and cannot be stored exactly`)
    }
    digits = digits.slice(0, digits.length - (fraction - scale))
  } else {
    digits += '0'.repeat(scale - fraction)
  }
  const unscaled = BigInt(digits || '0')
  if (unscaled.toString().length > precision && unscaled !== 0n) {
    throw new RangeError(`${text} does not fit decimal(${precision},${scale})`)
  }
  return m[1] === '-' ? -unscaled : unscaled
}

/** Formats an unscaled integer with `scale` fractional digits: `(-1250n, 2)` -> `-12.50`. */
export function formatDecimal(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n
  const digits = (negative ? -unscaled : unscaled).toString()
  if (scale === 0) return (negative ? '-' : '') + digits
  const padded = digits.padStart(scale + 1, '0')
  return `${negative ? '-' : ''}${padded.slice(0, -scale)}.${padded.slice(-scale)}`
}
