/**
 * src/formats/text.ts: the text of every output type as CSV writes it, and the JSON text of
 * lists (valid JSON, numbers bare and exact, everything else quoted).
 */
import { describe, expect, test } from 'bun:test'
import { textFormatter, toHex, uuidText } from '../../src/formats/text.ts'
import type { OutputType } from '../../src/types/output.ts'
import type { Value } from '../../src/types/values.ts'

const text = (type: OutputType, value: Value) => textFormatter(type)(value)
const list = (element: OutputType): OutputType => ({ kind: 'list', element })

describe('scalars', () => {
  test('bytes as lowercase hex, UUIDs in canonical form', () => {
    expect(toHex(new Uint8Array([]))).toBe('')
    expect(toHex(new Uint8Array([0, 15, 16, 171, 255]))).toBe('000f10abff')
    const uuid = new Uint8Array([
      0xa0,
      0xee,
      0xbc,
      0x99,
      0x9c,
      0x0b,
      0x4e,
      0xf8,
      0xbb,
      0x6d,
      0x6b,
      0xb9,
      0xbd,
      0x38,
      0x0a,
      0x11,
    ])
    expect(uuidText(uuid)).toBe('a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11')
    expect(text({ kind: 'uuid' }, new Uint8Array(16))).toBe('00000000-0000-0000-0000-000000000000')
    expect(text({ kind: 'bytes' }, new Uint8Array([0xde, 0xad]))).toBe('dead')
  })

  test('integers and decimals exactly', () => {
    expect(text({ kind: 'int', bits: 16, signed: true }, -32768)).toBe('-32768')
    expect(text({ kind: 'int', bits: 64, signed: true }, -9223372036854775808n)).toBe('-9223372036854775808')
    expect(text({ kind: 'int', bits: 64, signed: false }, 18446744073709551615n)).toBe('18446744073709551615')
    const decimal = (precision: number, scale: number): OutputType => ({ kind: 'decimal', precision, scale })
    expect(text(decimal(38, 10), -99999999999999999999999999999999999999n)).toBe(
      '-9999999999999999999999999999.9999999999',
    )
    expect(text(decimal(5, 2), 5n)).toBe('0.05')
    expect(text(decimal(30, 0), 0n)).toBe('0')
  })

  test('floats: shortest round trip, NaN, infinities and negative zero', () => {
    const double: OutputType = { kind: 'float', bits: 64 }
    expect(text(double, 0.1)).toBe('0.1')
    expect(text(double, 1e21)).toBe('1e+21')
    expect(text(double, 5e-324)).toBe('5e-324')
    expect(text(double, 1.7976931348623157e308)).toBe('1.7976931348623157e+308')
    expect(text(double, NaN)).toBe('NaN')
    expect(text(double, Infinity)).toBe('Infinity')
    expect(text(double, -Infinity)).toBe('-Infinity')
    expect(text(double, -0)).toBe('-0')
    expect(text(double, 0)).toBe('0')
    // A float4 arrives as the double of its shortest text, and goes out as that text.
    expect(text({ kind: 'float', bits: 32 }, Number('3.4028235e+38'))).toBe('3.4028235e+38')
  })

  test('bool, strings, json and intervals as they are', () => {
    expect(text({ kind: 'bool' }, true)).toBe('true')
    expect(text({ kind: 'bool' }, false)).toBe('false')
    expect(text({ kind: 'string' }, 'a "b",\r\nc')).toBe('a "b",\r\nc')
    expect(text({ kind: 'json' }, '{"a": 1,  "b": null}')).toBe('{"a": 1,  "b": null}')
    expect(text({ kind: 'interval' }, 'P1Y2M3DT4H5M6.789S')).toBe('P1Y2M3DT4H5M6.789S')
  })

  test('dates, times and timestamps in ISO 8601', () => {
    expect(text({ kind: 'date' }, 19782)).toBe('2024-02-29')
    expect(text({ kind: 'date' }, -719528)).toBe('0000-01-01')
    expect(text({ kind: 'time' }, 86_400_000_000n)).toBe('24:00:00.000000')
    expect(text({ kind: 'timestamp', utc: false }, -1n)).toBe('1969-12-31T23:59:59.999999')
    expect(text({ kind: 'timestamp', utc: true }, 1_709_190_296_789_012n)).toBe('2024-02-29T07:04:56.789012Z')
  })
})

describe('lists as JSON text', () => {
  test('numbers bare and exact, NULL elements as null, empty list', () => {
    expect(text(list({ kind: 'int', bits: 32, signed: true }), [1, null, -2147483648])).toBe(
      '[1,null,-2147483648]',
    )
    expect(text(list({ kind: 'int', bits: 64, signed: true }), [9223372036854775807n])).toBe(
      '[9223372036854775807]',
    )
    expect(text(list({ kind: 'decimal', precision: 10, scale: 2 }), [110n, -225n, null])).toBe(
      '[1.10,-2.25,null]',
    )
    expect(text(list({ kind: 'bool' }), [true, false])).toBe('[true,false]')
    expect(text(list({ kind: 'string' }), [])).toBe('[]')
  })

  test('floats: finite ones bare, NaN and infinities quoted so the JSON stays valid', () => {
    const value = text(list({ kind: 'float', bits: 64 }), [1.5, -0, NaN, Infinity, -Infinity, null])
    expect(value).toBe('[1.5,-0,"NaN","Infinity","-Infinity",null]')
    expect(JSON.parse(value)).toEqual([1.5, -0, 'NaN', 'Infinity', '-Infinity', null])
  })

  test('strings escaped as JSON: quotes, backslashes, control characters, unicode', () => {
    const items = [
      'a "quoted" one',
      'with,comma',
      'back\\slash',
      'line\r\nbreak\ttab\u0001',
      'ü€😀',
      'NULL',
      '',
    ]
    const value = text(list({ kind: 'string' }), [...items, null])
    expect(value).toBe(
      '["a \\"quoted\\" one","with,comma","back\\\\slash","line\\r\\nbreak\\ttab\\u0001","ü€😀","NULL","",null]',
    )
    expect(JSON.parse(value)).toEqual([...items, null])
  })

  test('json elements embedded as JSON, not as strings', () => {
    const value = text(list({ kind: 'json' }), ['{"a": [1, 2]}', '"s"', 'null', null])
    expect(value).toBe('[{"a": [1, 2]},"s",null,null]')
    expect(JSON.parse(value)).toEqual([{ a: [1, 2] }, 's', null, null])
  })

  test('bytes, uuids, dates, times and timestamps as quoted text', () => {
    expect(text(list({ kind: 'bytes' }), [new Uint8Array([0xde, 0xad]), new Uint8Array(0), null])).toBe(
      '["dead","",null]',
    )
    expect(text(list({ kind: 'uuid' }), [new Uint8Array(16).fill(255)])).toBe(
      '["ffffffff-ffff-ffff-ffff-ffffffffffff"]',
    )
    expect(text(list({ kind: 'date' }), [-1, 47647])).toBe('["1969-12-31","2100-06-15"]')
    expect(text(list({ kind: 'time' }), [0n])).toBe('["00:00:00.000000"]')
    expect(text(list({ kind: 'timestamp', utc: true }), [1_704_060_000_000_000n, -1n])).toBe(
      '["2023-12-31T22:00:00.000000Z","1969-12-31T23:59:59.999999Z"]',
    )
    expect(text(list({ kind: 'interval' }), ['P-1DT-1S'])).toBe('["P-1DT-1S"]')
  })

  test('a list of lists nests', () => {
    const value = text(list(list({ kind: 'string' })), [['a', null], [], null])
    expect(value).toBe('[["a",null],[],null]')
  })
})
