/**
 * src/types/temporal.ts: integer calendar math against JS Date as an independent oracle (in
 * tests only), BC years, leap days, offsets, microseconds, and the texts it must refuse.
 */
import { describe, expect, test } from 'bun:test'
import {
  civilFromDays,
  dateNumberFromDays,
  daysFromCivil,
  formatDate,
  formatTime,
  formatTimestamp,
  parseDate,
  parseTime,
  parseTimestamp,
} from '../../src/types/temporal.ts'

const DAY_MS = 86_400_000

/** The proleptic Gregorian date of a day count, by JS Date (valid for +-100 million days). */
function oracle(days: number): [number, number, number] {
  const d = new Date(days * DAY_MS)
  return [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()]
}

describe('days <-> civil dates', () => {
  test('every day from -100000 to 100000 matches Date and round-trips through text', () => {
    for (let days = -100_000; days <= 100_000; days++) {
      const civil = civilFromDays(days)
      expect(civil).toEqual(oracle(days))
      expect(daysFromCivil(...civil)).toBe(days)
      const text = formatDate(days)
      expect(text).toBe(new Date(days * DAY_MS).toISOString().slice(0, 10))
      expect(parseDate(text)).toBe(days)
    }
  })

  test('sampled days across the whole range PostgreSQL dates cover', () => {
    // 4714-11-24 BC (Julian day 0) .. 5874897-12-31, every 997th day and the ends.
    const first = -2_440_588
    const last = daysFromCivil(5_874_897, 12, 31)
    for (let days = first; days <= last; days += 997) {
      // Date ends at 100 million days (year 275760); past it the round trip alone is checked.
      if (days <= 100_000_000) expect(civilFromDays(days)).toEqual(oracle(days))
      expect(daysFromCivil(...civilFromDays(days))).toBe(days)
    }
    expect(civilFromDays(first)).toEqual([-4713, 11, 24])
    expect(civilFromDays(last)).toEqual([5_874_897, 12, 31])
    // What PostgreSQL gives for: select date '5874897-12-31' - date '1970-01-01'
    expect(last).toBe(2_145_042_905)
  })

  test('BC years: 1 BC is year 0, a leap year', () => {
    expect(parseDate('0001-01-01')).toBe(-719_162)
    expect(parseDate('0001-12-31 BC')).toBe(-719_163)
    expect(parseDate('0001-01-01 BC')).toBe(-719_528)
    expect(parseDate('0001-02-29 BC')).toBe(-719_528 + 59)
    expect(parseDate('4714-11-24 BC')).toBe(-2_440_588)
    expect(parseDate('0005-02-29 BC')).toBe(daysFromCivil(-4, 2, 29))
    expect(() => parseDate('0002-02-29 BC')).toThrow('is not a valid date or time')
    expect(formatDate(-719_528)).toBe('0000-01-01')
    expect(formatDate(-719_529)).toBe('-000001-12-31')
    expect(formatDate(-2_440_588)).toBe('-004713-11-24')
  })

  test('years past 9999 are read as PostgreSQL prints them and written ISO-expanded', () => {
    const days = parseDate('10000-01-01')
    expect(civilFromDays(days)).toEqual([10000, 1, 1])
    expect(formatDate(days)).toBe('+010000-01-01')
  })

  test('the date as one number: YYYYMMDD, a negative year floored', () => {
    expect(dateNumberFromDays(0)).toBe(19700101)
    expect(dateNumberFromDays(19_782)).toBe(20240229)
    expect(dateNumberFromDays(-719_528)).toBe(101)
    expect(dateNumberFromDays(-719_529)).toBe(-10000 + 1231)
    expect(dateNumberFromDays(-2_440_588)).toBe(-47130000 + 1124)
  })

  test('impossible dates are refused instead of rolling over', () => {
    expect(parseDate('2024-02-29')).toBe(19_782)
    expect(parseDate('2000-02-29')).toBe(11_016)
    for (
      const text of [
        '1900-02-29',
        '2023-02-29',
        '2024-02-30',
        '2024-04-31',
        '2024-13-01',
        '2024-00-10',
        '2024-01-00',
      ]
    ) {
      expect(() => parseDate(text)).toThrow('is not a valid date or time')
    }
  })

  test('texts that are not dates, and infinity, are refused with the reason', () => {
    expect(() => parseDate('infinity')).toThrow('infinity is an unbounded date, which has no date value')
    expect(() => parseDate('-infinity')).toThrow('-infinity is an unbounded date')
    for (const text of ['2024-1-01', '24-01-01', '2024-01-01 00:00:00', '', 'today']) {
      expect(() => parseDate(text)).toThrow('is not a date (YYYY-MM-DD)')
    }
  })
})

describe('times', () => {
  test('microseconds since midnight, 24:00:00 included', () => {
    expect(parseTime('00:00')).toBe(0n)
    expect(parseTime('00:00:00')).toBe(0n)
    expect(parseTime('12:34:56.789012')).toBe(45_296_789_012n)
    expect(parseTime('12:34:56.7')).toBe(45_296_700_000n)
    expect(parseTime('23:59:59.999999')).toBe(86_399_999_999n)
    expect(parseTime('24:00:00')).toBe(86_400_000_000n)
    // Digits past the microsecond are dropped (SQL Server's 100 ns).
    expect(parseTime('00:00:00.1234567')).toBe(123_456n)
  })

  test('nothing past 24:00:00, no out-of-range fields', () => {
    for (
      const text of [
        '24:00:00.000001',
        '24:00:01',
        '24:01',
        '25:00:00',
        '12:60:00',
        '12:00:61',
        '1:00:00',
        'noon',
      ]
    ) {
      expect(() => parseTime(text)).toThrow()
    }
  })

  test('format pads to HH:MM:SS.ffffff', () => {
    expect(formatTime(0n)).toBe('00:00:00.000000')
    expect(formatTime(45_296_789_012n)).toBe('12:34:56.789012')
    expect(formatTime(86_400_000_000n)).toBe('24:00:00.000000')
    for (let micros = 0n; micros <= 86_400_000_000n; micros += 7_777_777n) {
      expect(parseTime(formatTime(micros))).toBe(micros)
    }
  })
})

describe('timestamps', () => {
  test('microseconds kept before 1970 and after 2038', () => {
    expect(parseTimestamp('1970-01-01 00:00:00')).toBe(0n)
    expect(parseTimestamp('1969-12-31 23:59:59.999999')).toBe(-1n)
    expect(parseTimestamp('1900-01-01 08:00:00.000001')).toBe(-2_208_959_999_999_999n)
    expect(parseTimestamp('2100-06-15 23:59:59.999999')).toBe(4_116_787_199_999_999n)
    expect(parseTimestamp('2262-04-11 23:47:16.854775')).toBe(9_223_372_036_854_775n)
    expect(parseTimestamp('0001-01-01 00:00:00 BC')).toBe(-62_167_219_200_000_000n)
    expect(parseTimestamp('4713-11-24 00:00:00+00 BC')).toBe(-210_835_180_800_000_000n)
  })

  test('an offset is applied, giving UTC', () => {
    const utc = parseTimestamp('2024-02-29 07:04:56.789012Z')
    expect(utc).toBe(1_709_190_296_789_012n)
    expect(parseTimestamp('2024-02-29 07:04:56.789012+00')).toBe(utc)
    expect(parseTimestamp('2024-02-29T07:04:56.789012+00:00')).toBe(utc)
    expect(parseTimestamp('2024-02-29 12:34:56.789012+05:30')).toBe(utc)
    expect(parseTimestamp('2024-02-29 12:34:56.789012+0530')).toBe(utc)
    expect(parseTimestamp('2024-02-28 23:04:56.789012-08')).toBe(utc)
    // Local mean time offsets carry seconds (Amsterdam before 1937: +00:19:32).
    expect(parseTimestamp('1900-01-01 00:19:32+00:19:32')).toBe(parseTimestamp('1900-01-01 00:00:00Z'))
    // The offset can move the day across the year and the era.
    expect(parseTimestamp('0001-01-01 01:00:00+02 BC')).toBe(-62_167_219_200_000_000n - 3_600_000_000n)
    // Without an offset the wall clock is kept as it is.
    expect(parseTimestamp('2024-02-29 12:34:56.789012')).toBe(1_709_210_096_789_012n)
  })

  test('format is ISO 8601 with Z only for UTC', () => {
    expect(formatTimestamp(-1n, false)).toBe('1969-12-31T23:59:59.999999')
    expect(formatTimestamp(-1n, true)).toBe('1969-12-31T23:59:59.999999Z')
    expect(formatTimestamp(0n, true)).toBe('1970-01-01T00:00:00.000000Z')
    expect(formatTimestamp(-62_167_219_200_000_000n, false)).toBe('0000-01-01T00:00:00.000000')
    expect(formatTimestamp(-210_835_180_800_000_000n, true)).toBe('-004712-11-24T00:00:00.000000Z')
    expect(formatTimestamp(9_223_372_036_854_775_807n, true)).toBe('+294247-01-10T04:00:54.775807Z')
  })

  test('round trips through text and agrees with Date to the millisecond', () => {
    // A deterministic spread over years 0000..9999, which both text forms share.
    const min = -62_167_219_200_000_000n
    const span = 253_402_300_799_999_999n - min
    let seed = 12345n
    for (let i = 0; i < 20_000; i++) {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n
      const micros = min + seed % span
      const text = formatTimestamp(micros, true)
      expect(parseTimestamp(text)).toBe(micros)
      const millis = micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)
      const date = new Date(0)
      date.setTime(Number(millis))
      expect(text.slice(0, 23)).toBe(date.toISOString().slice(0, 23))
    }
  })

  test('the Number fast path and the bigint path meet at +-2^53 with the same text', () => {
    const safe = BigInt(Number.MAX_SAFE_INTEGER)
    // Texts from the all-bigint formatter this path replaced.
    const cases: [bigint, string][] = [
      [safe - 1n, '2255-06-05T23:47:34.740990'],
      [safe, '2255-06-05T23:47:34.740991'],
      [safe + 1n, '2255-06-05T23:47:34.740992'],
      [-safe + 1n, '1684-07-28T00:12:25.259010'],
      [-safe, '1684-07-28T00:12:25.259009'],
      [-safe - 1n, '1684-07-28T00:12:25.259008'],
      [-9_223_372_036_854_775_808n, '-290308-12-21T19:59:05.224192'],
    ]
    for (const [micros, text] of cases) expect(formatTimestamp(micros, false)).toBe(text)
  })

  test('day boundaries before and after 1970, expanded years, every fraction digit', () => {
    const day = 86_400_000_000n
    expect(formatTimestamp(-1n, false)).toBe('1969-12-31T23:59:59.999999')
    expect(formatTimestamp(-day, false)).toBe('1969-12-31T00:00:00.000000')
    expect(formatTimestamp(-day - 1n, false)).toBe('1969-12-30T23:59:59.999999')
    expect(formatTimestamp(day - 1n, false)).toBe('1970-01-01T23:59:59.999999')
    expect(formatTimestamp(123_456n, false)).toBe('1970-01-01T00:00:00.123456')
    expect(formatTimestamp(1_577_836_801_000_001n, true)).toBe('2020-01-01T00:00:01.000001Z')
    expect(formatTimestamp(-62_135_596_800_000_001n, false)).toBe('0000-12-31T23:59:59.999999')
    expect(formatTimestamp(-62_198_755_200_000_000n, false)).toBe('-000001-01-01T00:00:00.000000')
    expect(formatTimestamp(253_402_300_800_000_000n, false)).toBe('+010000-01-01T00:00:00.000000')
    // Microseconds either side of many midnights, on both paths, read back exactly.
    for (const base of [-(2n ** 53n), -day * 1000n, 0n, day * 20_000n, 2n ** 53n]) {
      const midnight = base - ((base % day) + day) % day
      for (const micros of [midnight - 1n, midnight, midnight + 1n, midnight + day - 1n]) {
        expect(parseTimestamp(formatTimestamp(micros, false))).toBe(micros)
      }
    }
  })

  test('a day shared by consecutive values and one that changes both give their own date', () => {
    const day = 86_400_000_000n
    expect(formatTimestamp(day + 1n, false)).toBe('1970-01-02T00:00:00.000001')
    expect(formatTimestamp(day + 2n, false)).toBe('1970-01-02T00:00:00.000002')
    expect(formatDate(0)).toBe('1970-01-01')
    expect(formatTimestamp(day + 3n, false)).toBe('1970-01-02T00:00:00.000003')
    expect(formatDate(-719_529)).toBe('-000001-12-31')
    expect(formatDate(2_932_897)).toBe('+010000-01-01')
  })

  test('impossible and unbounded timestamps are refused', () => {
    expect(() => parseTimestamp('infinity')).toThrow(
      'infinity is an unbounded timestamp, which has no timestamp value',
    )
    expect(() => parseTimestamp('-infinity')).toThrow('-infinity is an unbounded timestamp')
    expect(() => parseTimestamp('2023-02-29 00:00:00')).toThrow('is not a valid date or time')
    expect(() => parseTimestamp('2024-01-01 12:60:00')).toThrow('is not a valid date or time')
    expect(() => parseTimestamp('2024-01-01')).toThrow('is not a timestamp')
  })
})
