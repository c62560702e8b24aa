/**
 * src/sources/postgres/array.ts: PostgreSQL's array output text, as the server writes it, into
 * element texts; NULL vs "NULL", quoting and escapes, bounds, and what it refuses.
 */
import { describe, expect, test } from 'bun:test'
import { parsePgArray } from '../../../src/sources/postgres/array.ts'

describe('parsePgArray', () => {
  test('empty and plain arrays', () => {
    expect(parsePgArray('{}')).toEqual([])
    expect(parsePgArray('{1,2,3}')).toEqual(['1', '2', '3'])
    expect(parsePgArray('{-2147483648}')).toEqual(['-2147483648'])
    expect(parsePgArray('{1.10,-2.25}')).toEqual(['1.10', '-2.25'])
    expect(parsePgArray('{t,f}')).toEqual(['t', 'f'])
  })

  test('unquoted NULL is null; quoted "NULL" and "" are text', () => {
    expect(parsePgArray('{NULL}')).toEqual([null])
    expect(parsePgArray('{NULL,1,NULL}')).toEqual([null, '1', null])
    expect(parsePgArray('{"NULL",""}')).toEqual(['NULL', ''])
    expect(parsePgArray('{null}')).toEqual(['null'])
  })

  test('quoted elements: commas, braces, spaces, quotes and backslashes', () => {
    expect(parsePgArray(String.raw`{"a \"quoted\" one","with,comma",NULL,"NULL",""}`)).toEqual([
      'a "quoted" one',
      'with,comma',
      null,
      'NULL',
      '',
    ])
    expect(parsePgArray(String.raw`{"{x}"," padded ","back\\slash"}`)).toEqual([
      '{x}',
      ' padded ',
      'back\\slash',
    ])
    expect(parsePgArray('{"line\r\nbreak"}')).toEqual(['line\r\nbreak'])
    expect(parsePgArray('{"2024-01-01 00:00:00+00","1969-12-31 23:59:59.999999+00"}')).toEqual([
      '2024-01-01 00:00:00+00',
      '1969-12-31 23:59:59.999999+00',
    ])
  })

  test('bytea elements keep their \\x prefix for the bytes step', () => {
    expect(parsePgArray(String.raw`{"\\xdead",NULL,"\\x"}`)).toEqual(['\\xdead', null, '\\x'])
  })

  test('non-ASCII text and money', () => {
    expect(parsePgArray('{ü€😀,"$1,234.56"}')).toEqual(['ü€😀', '$1,234.56'])
  })

  test('explicit lower bounds do not change the values', () => {
    expect(parsePgArray('[0:2]={7,8,9}')).toEqual(['7', '8', '9'])
    expect(parsePgArray('[-1:-1]={"a=b"}')).toEqual(['a=b'])
  })

  test('multi-dimensional arrays are refused', () => {
    expect(() => parsePgArray('{{1,2},{3,4}}')).toThrow('multi-dimensional arrays are not supported')
    expect(() => parsePgArray('[1:2][1:1]={{1},{2}}')).toThrow('multi-dimensional arrays are not supported')
  })

  test('text that is not an array is refused, also when it ends inside quotes', () => {
    for (const value of ['', '1,2', '{1,2', '1}', '{"abc}', '{"a\\"}']) {
      expect(() => parsePgArray(value)).toThrow('is not an array')
    }
  })
})
