/**
 * src/types/convert.ts: driver values into the value contract, and the values an output type
 * cannot hold (refused with a reason, never wrapped or rounded).
 */
import { describe, expect, test } from 'bun:test'
import { converterFor } from '../../src/types/convert.ts'

describe('converterFor', () => {
  test('NULL is null for every type', () => {
    expect(converterFor({ kind: 'date' })(null)).toBeNull()
    expect(converterFor({ kind: 'list', element: { kind: 'string' } })(undefined)).toBeNull()
  })

  test('integers keep their range; int64 stays a bigint', () => {
    const int16 = converterFor({ kind: 'int', bits: 16, signed: true })
    expect(int16('-32768')).toBe(-32768)
    expect(() => int16('32768')).toThrow('32768 is out of range for int16')
    const int64 = converterFor({ kind: 'int', bits: 64, signed: true })
    expect(int64('-9223372036854775808')).toBe(-9223372036854775808n)
    expect(() => int64('9223372036854775808')).toThrow('out of range for int64')
  })

  test('decimals from text, bigint and finite numbers, never through a float', () => {
    const decimal = converterFor({ kind: 'decimal', precision: 38, scale: 9 })
    expect(decimal('12345678901234567890123456789.123456789')).toBe(12345678901234567890123456789123456789n)
    expect(decimal(12n)).toBe(12000000000n)
    expect(decimal(0.1)).toBe(100000000n)
    expect(() => decimal(NaN)).toThrow('cannot be stored as decimal(38,9)')
    expect(() => decimal('NaN')).toThrow('is not a decimal number')
  })

  test('floats keep NaN, infinities and negative zero', () => {
    const float = converterFor({ kind: 'float', bits: 64 })
    expect(float('NaN')).toBeNaN()
    expect(float('Infinity')).toBe(Infinity)
    expect(float('-Infinity')).toBe(-Infinity)
    expect(Object.is(float('-0'), -0)).toBe(true)
    expect(float('0.1')).toBe(0.1)
    expect(() => float('')).toThrow('cannot be stored as float')
  })

  test('uuid text in any case and with braces becomes 16 bytes', () => {
    const uuid = converterFor({ kind: 'uuid' })
    const bytes = uuid('{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}') as Uint8Array
    expect(Array.from(bytes.slice(0, 4))).toEqual([0xa0, 0xee, 0xbc, 0x99])
    expect(() => uuid('a0eebc99')).toThrow('cannot be stored as uuid')
  })

  test('dates must fit a Parquet INT32 of days', () => {
    const date = converterFor({ kind: 'date' })
    expect(date('5874897-12-31')).toBe(2_145_042_905)
    expect(() => date('9999999-01-01')).toThrow('is beyond the 32-bit day range of a Parquet date')
  })

  test('timestamps must fit a Parquet INT64 of microseconds', () => {
    const ts = converterFor({ kind: 'timestamp', utc: true })
    expect(ts('294247-01-10 04:00:54.775807+00')).toBe(9_223_372_036_854_775_807n)
    expect(() => ts('294247-01-10 04:00:54.775808+00')).toThrow(
      'is beyond the 64-bit microsecond range of a Parquet timestamp',
    )
    expect(() => ts('294276-12-31 23:59:59.999999')).toThrow('64-bit microsecond range')
    expect(() => ts('infinity')).toThrow('infinity is an unbounded timestamp')
    expect(() => ts(12)).toThrow('number value 12 cannot be stored as timestamptz')
  })

  test('lists convert each element and keep NULL elements', () => {
    const ints = converterFor({ kind: 'list', element: { kind: 'int', bits: 32, signed: true } })
    expect(ints(['1', null, '-2'])).toEqual([1, null, -2])
    expect(() => ints('{1,2}')).toThrow('cannot be stored as list')
  })
})
