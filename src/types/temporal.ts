/**
 * Dates and times as integers, with no `Date` on the way: days since 1970-01-01 for dates,
 * microseconds (bigint) for times and timestamps. Integer calendar math covers every year a
 * database can hold, before 1970, after 2038 and BC alike.
 */

/** Microseconds in a day: timestamps are microseconds, dates days. */
export const MICROS_PER_DAY = 86_400_000_000n

// Howard Hinnant's days_from_civil / civil_from_days: exact proleptic Gregorian arithmetic.
/** Days since 1970-01-01 of a proleptic Gregorian date (year 0 is 1 BC). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/**
 * The proleptic Gregorian date of a day count since 1970-01-01 as one number,
 * `year * 10000 + month * 100 + day` (for years 0 to 9999 the digits of `YYYYMMDD`): no array
 * per call, for the CSV writer that calls it once per value.
 */
export function dateNumberFromDays(days: number): number {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  )
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp + (mp < 10 ? 3 : -9)
  return (yoe + era * 400 + (month <= 2 ? 1 : 0)) * 10000 + month * 100 + day
}

/** The proleptic Gregorian date of a day count since 1970-01-01. */
export function civilFromDays(days: number): [year: number, month: number, day: number] {
  const date = dateNumberFromDays(days)
  // Floored, so a negative year keeps a positive month and day: -1-12-31 is -10000 + 1231.
  const year = Math.floor(date / 10000)
  const monthDay = date - year * 10000
  return [year, Math.floor(monthDay / 100), monthDay % 100]
}

const dateRe = /^(\d{4,})-(\d\d)-(\d\d)( BC)?$/
const timeRe = /^(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?$/
const stampRe =
  /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,9}))?)?\s*(Z|[+-]\d\d(?::?\d\d(?::?\d\d)?)?)?( BC)?$/

function year(digits: string, bc: string | undefined): number {
  const y = Number(digits)
  // 1 BC is year 0 in the proleptic calendar ISO 8601 and Parquet use.
  return bc ? 1 - y : y
}

function fractionMicros(fraction: string | undefined): bigint {
  if (!fraction) return 0n
  // Digits past the sixth (SQL Server's 100 ns) are dropped; `check` reports such columns as lossy.
  return BigInt(fraction.slice(0, 6).padEnd(6, '0'))
}

function checkRange(value: number, min: number, max: number, text: string): void {
  if (value < min || value > max) throw new RangeError(`"${text}" is not a valid date or time`)
}

const monthDays = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Whether a month and day exist in a year (the day arithmetic would roll a bad day into the next month). */
export function isCalendarDate(y: number, month: number, day: number): boolean {
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
  return month >= 1 && month <= 12 && day >= 1 && day <= (month === 2 && leap ? 29 : monthDays[month - 1])
}

/** Rejects a day past the end of its month, or a month past 12. */
function checkDay(y: number, month: number, day: number, text: string): void {
  if (!isCalendarDate(y, month, day)) throw new RangeError(`"${text}" is not a valid date or time`)
}

/** PostgreSQL's `infinity` and `-infinity` have no counterpart in Parquet or ISO 8601. */
function notParsed(text: string, kind: string, format: string): RangeError {
  if (/^-?infinity$/.test(text)) {
    return new RangeError(`${text} is an unbounded ${kind}, which has no ${kind} value`)
  }
  return new RangeError(`"${text}" is not a ${kind} (${format})`)
}

/** Parses `YYYY-MM-DD` (optionally ` BC`) into days since 1970-01-01. */
export function parseDate(text: string): number {
  const m = dateRe.exec(text)
  if (!m) throw notParsed(text, 'date', 'YYYY-MM-DD')
  const y = year(m[1], m[4])
  checkDay(y, Number(m[2]), Number(m[3]), text)
  return daysFromCivil(y, Number(m[2]), Number(m[3]))
}

/** Parses `HH:MM[:SS[.ffffff]]` into microseconds since midnight. `24:00:00` is allowed. */
export function parseTime(text: string): bigint {
  const m = timeRe.exec(text)
  if (!m) throw new RangeError(`"${text}" is not a time (HH:MM:SS.ffffff)`)
  checkRange(Number(m[1]), 0, 24, text)
  checkRange(Number(m[2]), 0, 59, text)
  checkRange(Number(m[3] ?? 0), 0, 60, text)
  const micros = (BigInt(m[1]) * 3600n + BigInt(m[2]) * 60n + BigInt(m[3] ?? 0)) * 1_000_000n +
    fractionMicros(m[4])
  // 24:00:00 is the end of the day; nothing lies past it.
  if (micros > MICROS_PER_DAY) throw new RangeError(`"${text}" is not a valid time`)
  return micros
}

function offsetSeconds(offset: string | undefined): number {
  if (!offset || offset === 'Z') return 0
  const sign = offset[0] === '-' ? -1 : 1
  const digits = offset.slice(1).replace(/:/g, '')
  return sign *
    (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || 0) * 60 +
      Number(digits.slice(4, 6) || 0))
}

/**
 * Parses `YYYY-MM-DD HH:MM:SS[.ffffff][offset][ BC]` into microseconds since the epoch. An
 * offset (`Z`, `+02`, `-05:30`) is applied, giving UTC; without one the wall-clock value is kept.
 */
export function parseTimestamp(text: string): bigint {
  const m = stampRe.exec(text)
  if (!m) throw notParsed(text, 'timestamp', 'YYYY-MM-DD HH:MM:SS.ffffff')
  const y = year(m[1], m[9])
  checkDay(y, Number(m[2]), Number(m[3]), text)
  checkRange(Number(m[4]), 0, 24, text)
  checkRange(Number(m[5]), 0, 59, text)
  checkRange(Number(m[6] ?? 0), 0, 60, text)
  const days = daysFromCivil(y, Number(m[2]), Number(m[3]))
  const seconds = Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6] ?? 0) - offsetSeconds(m[8])
  return BigInt(days) * MICROS_PER_DAY + BigInt(seconds) * 1_000_000n + fractionMicros(m[7])
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

// Two-digit texts by value: a table lookup instead of String + padStart on every field.
const twoDigits = Array.from({ length: 100 }, (_, i) => pad(i, 2))

function formatYear(y: number): string {
  // ISO 8601 expanded years carry a sign outside 0000..9999.
  if (y >= 0 && y <= 9999) return twoDigits[Math.floor(y / 100)] + twoDigits[y % 100]
  return (y < 0 ? '-' : '+') + pad(Math.abs(y), 6)
}

// The last date formatted: consecutive timestamps usually share their day, so most rows skip
// the calendar math.
let cachedDays = NaN
let cachedDate = ''

/** Formats days since 1970-01-01 as `YYYY-MM-DD`. */
export function formatDate(days: number): string {
  if (days !== cachedDays) {
    const [y, m, d] = civilFromDays(days)
    cachedDate = formatYear(y) + '-' + twoDigits[m] + '-' + twoDigits[d]
    cachedDays = days
  }
  return cachedDate
}

/** `HH:MM:SS.ffffff` of microseconds since midnight (0 to 24 hours) held exactly in a number. */
function timeText(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000)
  const fraction = micros - seconds * 1_000_000
  return twoDigits[Math.floor(seconds / 3600)] + ':' + twoDigits[Math.floor(seconds / 60) % 60] + ':' +
    twoDigits[seconds % 60] + '.' + twoDigits[Math.floor(fraction / 10_000)] +
    twoDigits[Math.floor(fraction / 100) % 100] + twoDigits[fraction % 100]
}

/** Formats microseconds since midnight as `HH:MM:SS.ffffff`. */
export function formatTime(micros: bigint): string {
  return timeText(Number(micros))
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
export const MICROS_PER_DAY_NUMBER = 86_400_000_000

/**
 * Whole days since the epoch (floored) of microseconds held exactly in a number, within 2^53
 * (the years 1684 to 2255). Number math is exact here: the quotient is floored correctly (its
 * distance from an integer is at least 1/86.4e9, more than half an ulp below 2^17), and
 * days * 86.4e9 is a multiple of 2^13, so representable even just past 2^53: the microseconds
 * into the day are exactly `micros - days * MICROS_PER_DAY_NUMBER`.
 */
export function epochDay(micros: number): number {
  return Math.floor(micros / MICROS_PER_DAY_NUMBER)
}

/** Formats microseconds since the epoch as ISO 8601, with `Z` when the value is UTC. */
export function formatTimestamp(micros: bigint, utc: boolean): string {
  let days: number
  let rest: number
  if (micros >= -MAX_SAFE && micros <= MAX_SAFE) {
    const n = Number(micros)
    days = epochDay(n)
    rest = n - days * MICROS_PER_DAY_NUMBER
  } else {
    let whole = micros / MICROS_PER_DAY
    let part = micros % MICROS_PER_DAY
    if (part < 0n) {
      part += MICROS_PER_DAY
      whole -= 1n
    }
    days = Number(whole)
    rest = Number(part)
  }
  return formatDate(days) + 'T' + timeText(rest) + (utc ? 'Z' : '')
}
