/**
 * src/types/decimal.ts: decimal text to the unscaled bigint and back, with exponents, signs,
 * zeros, and the values that must be refused rather than rounded.
 */
import { describe, expect, test } from 'bun:test'
import { formatDecimal, parseDecimal } from '../../src/types/decimal.ts'

describe('parseDecimal', () => {
  test('plain text scales to the unscaled integer', () => {
    expect(parseDecimal('123.45', 5, 2)).toBe(12345n)
    expect(parseDecimal('-12.5', 5, 2)).toBe(-1250n)
    expect(parseDecimal('+7', 1, 0)).toBe(7n)
    expect(parseDecimal('.5', 3, 1)).toBe(5n)
    expect(parseDecimal('5.', 3, 0)).toBe(5n)
    expect(parseDecimal(' 1.5 ', 3, 2)).toBe(150n)
    expect(parseDecimal('000123.40', 5, 2)).toBe(12340n)
    expect(parseDecimal('0.010', 5, 2)).toBe(1n)
  })

  test('zero in every spelling is 0n', () => {
    for (
      const text of ['0', '-0', '+0', '0.00', '-0.000000', '.0', '0.', '000', '0e5', '0e-999999999', '-0.0e3']
    ) {
      expect(parseDecimal(text, 5, 2)).toBe(0n)
    }
  })

  test('exponents move the decimal point', () => {
    expect(parseDecimal('1e3', 4, 0)).toBe(1000n)
    expect(parseDecimal('1E+3', 6, 2)).toBe(100000n)
    expect(parseDecimal('1.5E-2', 5, 3)).toBe(15n)
    expect(parseDecimal('12.5e-1', 3, 2)).toBe(125n)
    expect(parseDecimal('-2.5e-7', 10, 8)).toBe(-25n)
    expect(parseDecimal('50e-3', 5, 2)).toBe(5n)
    expect(parseDecimal('100e-4', 5, 2)).toBe(1n)
    expect(parseDecimal('1.2345e2', 5, 2)).toBe(12345n)
  })

  test('the limits of precision and scale', () => {
    expect(parseDecimal('999.99', 5, 2)).toBe(99999n)
    expect(parseDecimal('-999.99', 5, 2)).toBe(-99999n)
    expect(parseDecimal('9'.repeat(38), 38, 0)).toBe(10n ** 38n - 1n)
    expect(parseDecimal('0.' + '0'.repeat(9) + '1', 38, 10)).toBe(1n)
    expect(parseDecimal('9'.repeat(66) + '.' + '9'.repeat(10), 76, 10)).toBe(10n ** 76n - 1n)
  })

  test('too many digits: refused, never rounded', () => {
    expect(() => parseDecimal('1000.00', 5, 2)).toThrow('1000.00 does not fit decimal(5,2)')
    expect(() => parseDecimal('-1000', 5, 2)).toThrow('does not fit decimal(5,2)')
    expect(() => parseDecimal('1' + '0'.repeat(38), 38, 0)).toThrow('does not fit decimal(38,0)')
    expect(() => parseDecimal('1e3', 5, 2)).toThrow('does not fit')
    expect(() => parseDecimal('0.001', 5, 2)).toThrow('0.001 has more than 2 decimal places')
    expect(() => parseDecimal('-0.000000001', 38, 6)).toThrow('has more than 6 decimal places')
    expect(() => parseDecimal('1.005', 10, 2)).toThrow('has more than 2 decimal places')
    // Every dropped digit counts, also when the exponent drops more digits than were written.
    expect(() => parseDecimal('50e-3', 5, 0)).toThrow('has more than 0 decimal places')
    expect(() => parseDecimal('15e-4', 5, 2)).toThrow('has more than 2 decimal places')
    expect(() => parseDecimal('5e-3', 5, 2)).toThrow('has more than 2 decimal places')
  })

  test('huge exponents fail at once instead of building huge strings', () => {
    const started = performance.now()
    expect(() => parseDecimal('1e999999999', 38, 9)).toThrow('does not fit decimal(38,9)')
    expect(() => parseDecimal('1e-999999999', 38, 9)).toThrow('has more than 9 decimal places')
    expect(() => parseDecimal('1e' + '9'.repeat(400), 38, 9)).toThrow('does not fit decimal(38,9)')
    expect(() => parseDecimal('1e-' + '9'.repeat(400), 38, 9)).toThrow('has more than 9 decimal places')
    expect(performance.now() - started).toBeLessThan(100)
  })

  test('text that is not a decimal', () => {
    for (
      const text of [
        '',
        ' ',
        '.',
        '-',
        '1e',
        'e5',
        '1.2.3',
        '--1',
        '1,5',
        'NaN',
        'Infinity',
        '-Infinity',
        '0x10',
        '1 000',
      ]
    ) {
      expect(() => parseDecimal(text, 10, 2)).toThrow('is not a decimal number')
    }
  })
})

describe('formatDecimal', () => {
  test('places the point and keeps every digit', () => {
    expect(formatDecimal(-1250n, 2)).toBe('-12.50')
    expect(formatDecimal(12345n, 2)).toBe('123.45')
    expect(formatDecimal(5n, 3)).toBe('0.005')
    expect(formatDecimal(-5n, 3)).toBe('-0.005')
    expect(formatDecimal(0n, 2)).toBe('0.00')
    expect(formatDecimal(0n, 0)).toBe('0')
    expect(formatDecimal(-123n, 0)).toBe('-123')
    expect(formatDecimal(-(10n ** 38n - 1n), 10)).toBe('-' + '9'.repeat(28) + '.' + '9'.repeat(10))
  })

  test('digits through Number below 2^53 and through bigint past it agree', () => {
    const safe = BigInt(Number.MAX_SAFE_INTEGER)
    expect(formatDecimal(safe, 0)).toBe('9007199254740991')
    expect(formatDecimal(-safe, 2)).toBe('-90071992547409.91')
    expect(formatDecimal(safe + 1n, 2)).toBe('90071992547409.92')
    expect(formatDecimal(-safe - 1n, 4)).toBe('-900719925474.0992')
    expect(formatDecimal(safe, 20)).toBe('0.00009007199254740991')
    expect(formatDecimal(-safe, 20)).toBe('-0.00009007199254740991')
    expect(formatDecimal(123n, 38)).toBe('0.' + '0'.repeat(35) + '123')
    expect(formatDecimal(10n ** 38n - 1n, 38)).toBe('0.' + '9'.repeat(38))
    expect(formatDecimal(999n, 3)).toBe('0.999')
    expect(formatDecimal(-1000n, 3)).toBe('-1.000')
    expect(formatDecimal(12345678901234567890123n, 5)).toBe('123456789012345678.90123')
  })

  test('round trips with parseDecimal', () => {
    let seed = 7n
    for (let i = 0; i < 5000; i++) {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n
      const scale = Number(seed % 39n)
      const unscaled = (seed * seed * seed) % 10n ** 38n * (seed % 2n === 0n ? 1n : -1n)
      expect(parseDecimal(formatDecimal(unscaled, scale), 38, scale)).toBe(unscaled)
    }
  })
})
