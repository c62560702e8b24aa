/**
 * PostgreSQL's binary numeric (base-10000 digits, a weight and a display scale) turned into the
 * unscaled bigint of a decimal(p,s), with no decimal text on the way. Values the fast path does
 * not take (NaN, infinities, more digits than the column holds) come back as PostgreSQL's own
 * text, so the text converter decides them with the same rules and messages as before.
 */

const NUMERIC_NEG = 0x4000
const MAX_SAFE = Number.MAX_SAFE_INTEGER
const pow10 = Array.from({ length: 23 }, (_, i) => 10 ** i)
const bigPow10: bigint[] = []

function bigTen(exponent: number): bigint {
  return bigPow10[exponent] ??= 10n ** BigInt(exponent)
}

/**
 * The unscaled value of a binary numeric at `scale` as a number, when it is a safe integer the
 * column holds; undefined for everything else, which {@link numericUnscaled} decides.
 */
export function numericSafeUnscaled(
  view: DataView,
  at: number,
  precision: number,
  scale: number,
): number | undefined {
  const ndigits = view.getInt16(at)
  const sign = view.getUint16(at + 4)
  if (sign !== 0 && sign !== NUMERIC_NEG) return undefined
  // Decimal exponent of the last digit group in the unscaled value.
  const exponent = 4 * (view.getInt16(at + 2) - ndigits + 1) + scale
  let acc = 0
  for (let i = 0; i < ndigits; i++) acc = acc * 10000 + view.getInt16(at + 8 + 2 * i)
  // Number arithmetic is exact below 2^53; the rest takes the bigint path.
  if (acc > MAX_SAFE || exponent <= -pow10.length || exponent >= pow10.length) return undefined
  if (exponent >= 0) {
    acc *= pow10[exponent]
    if (acc > MAX_SAFE) return undefined
  } else {
    const divisor = pow10[-exponent]
    if (acc % divisor !== 0) return undefined
    acc /= divisor
  }
  if (precision <= 15 && acc >= pow10[precision]) return undefined
  return sign === NUMERIC_NEG ? -acc : acc
}

/** The unscaled value of a binary numeric at `scale`, or its text when it does not fit exactly. */
export function numericUnscaled(
  view: DataView,
  at: number,
  precision: number,
  scale: number,
): bigint | string {
  const safe = numericSafeUnscaled(view, at, precision, scale)
  if (safe !== undefined) return BigInt(safe)
  const sign = view.getUint16(at + 4)
  if (sign !== 0 && sign !== NUMERIC_NEG) return numericText(view, at)
  return bigUnscaled(view, at, precision, 4 * (view.getInt16(at + 2) - view.getInt16(at) + 1) + scale)
}

function bigUnscaled(view: DataView, at: number, precision: number, exponent: number): bigint | string {
  const ndigits = view.getInt16(at)
  let acc = 0n
  for (let i = 0; i < ndigits; i++) acc = acc * 10000n + BigInt(view.getInt16(at + 8 + 2 * i))
  if (exponent >= 0) {
    acc *= bigTen(exponent)
  } else {
    const divisor = bigTen(-exponent)
    if (acc % divisor !== 0n) return numericText(view, at)
    acc /= divisor
  }
  if (acc >= bigTen(precision)) return numericText(view, at)
  return view.getUint16(at + 4) === NUMERIC_NEG ? -acc : acc
}

const specials: Record<number, string> = { 0xC000: 'NaN', 0xD000: 'Infinity', 0xF000: '-Infinity' }

/** PostgreSQL's text for a binary numeric, as numeric_out writes it. */
export function numericText(view: DataView, at: number): string {
  const ndigits = view.getInt16(at)
  const weight = view.getInt16(at + 2)
  const sign = view.getUint16(at + 4)
  const dscale = view.getInt16(at + 6)
  if (specials[sign]) return specials[sign]
  const digit = (i: number) => i >= 0 && i < ndigits ? view.getInt16(at + 8 + 2 * i) : 0
  let text = weight < 0 ? '0' : String(digit(0))
  for (let i = 1; i <= weight; i++) text += String(digit(i)).padStart(4, '0')
  if (dscale > 0) {
    let fraction = ''
    for (let i = weight + 1; fraction.length < dscale; i++) fraction += String(digit(i)).padStart(4, '0')
    text += '.' + fraction.slice(0, dscale)
  }
  return sign === NUMERIC_NEG ? '-' + text : text
}
