/**
 * src/formats/csv.ts: the bytes of a CSV file, through the reused buffer: quoting, NULL and the
 * empty string, non-ASCII text, batches larger than the buffer, and a file with no rows.
 */
import { describe, expect, test } from 'bun:test'
import { gunzipSync } from 'node:zlib'
import { csvFormat } from '../../src/formats/csv.ts'
import type { Column, OutputType } from '../../src/types/output.ts'
import type { Value } from '../../src/types/values.ts'

const column = (name: string, type: OutputType) => ({ name, type }) as Column

function csv(columns: Column[], batches: Value[][][], compression: 'none' | 'gzip' = 'none'): string {
  const encoder = csvFormat(compression).create(columns)
  const parts = [
    ...batches.flatMap((rows) => encoder.write({ length: rows[0]?.length ?? 0, columns: rows, bytes: 0 })),
    ...encoder.end(),
  ]
  const bytes = Buffer.concat(parts.map((p) => compression === 'gzip' ? gunzipSync(p) : p))
  return new TextDecoder().decode(bytes)
}

describe('csv', () => {
  test('quotes only what needs it; NULL is empty, the empty string is ""', () => {
    const columns = [column('a,b', { kind: 'string' }), column('n', { kind: 'int', bits: 32, signed: true })]
    const text = csv(columns, [[['plain', 'with,comma', 'say "hi"', 'two\r\nlines', '', null], [
      1,
      2,
      3,
      4,
      5,
      null,
    ]]])
    expect(text).toBe(
      '"a,b",n\r\nplain,1\r\n"with,comma",2\r\n"say ""hi""",3\r\n"two\r\nlines",4\r\n"",5\r\n,\r\n',
    )
  })

  test('non-ASCII text is UTF-8, next to ASCII values in the same row', () => {
    const columns = [column('s', { kind: 'string' }), column('d', { kind: 'date' })]
    const text = csv(columns, [[['héllo', '日本, 語', '😀', 'x\uD800'], [0, 1, 2, 3]]])
    expect(text).toBe(
      's,d\r\nhéllo,1970-01-01\r\n"日本, 語",1970-01-02\r\n😀,1970-01-03\r\nx\uFFFD,1970-01-04\r\n',
    )
  })

  test('batches past the buffer size and several batches keep every byte', () => {
    const long = 'é'.repeat(40_000)
    const columns = [column('s', { kind: 'string' })]
    const text = csv(columns, [[[long, 'a']], [['b', long]]])
    expect(text).toBe(`s\r\n${long}\r\na\r\nb\r\n${long}\r\n`)
  })

  test('a file with no rows is its header, compressed or not', () => {
    const columns = [column('id', { kind: 'int', bits: 64, signed: true })]
    expect(csv(columns, [])).toBe('id\r\n')
    expect(csv(columns, [], 'gzip')).toBe('id\r\n')
    expect(csv(columns, [[[1n]], [[2n]]], 'gzip')).toBe('id\r\n1\r\n2\r\n')
  })
})
