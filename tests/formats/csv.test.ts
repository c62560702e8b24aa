/**
 * src/formats/csv.ts: the bytes of a CSV file, through the reused buffer: quoting, NULL and the
 * empty string, non-ASCII text, batches larger than the buffer, a file with no rows, and every
 * type's field against the text formatter's text.
 */
import { describe, expect, test } from 'bun:test'
import { gunzipSync } from 'node:zlib'
import { csvFormat } from '../../src/formats/csv.ts'
import { textFormatter } from '../../src/formats/text.ts'
import type { Column, OutputType } from '../../src/types/output.ts'
import type { Value } from '../../src/types/values.ts'

const column = (name: string, type: OutputType) => ({ name, type }) as Column

function csv(columns: Column[], batches: Value[][][], compression: 'none' | 'gzip' = 'none'): string {
  const encoder = csvFormat(compression).create(columns)
  const parts = [
    // Copies: the encoder's bytes are valid only until its next write.
    ...batches.flatMap((rows) =>
      encoder.write({ length: rows[0]?.length ?? 0, columns: rows, bytes: 0 }).map((b) => new Uint8Array(b))
    ),
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

  test('text of any length is quoted exactly when it needs it', () => {
    const columns = [column('s', { kind: 'string' })]
    const texts = [63, 64, 65, 300].flatMap((
      n,
    ) => ['a'.repeat(n), 'b'.repeat(n - 1) + ',', '"' + 'c'.repeat(n - 1)])
    const quoted = (t: string) => /[",]/.test(t) ? `"${t.replaceAll('"', '""')}"` : t
    expect(csv(columns, [[texts]])).toBe(`s\r\n${texts.map(quoted).join('\r\n')}\r\n`)
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

  test('int64 vectors write the bytes their bigints write, safe or not', () => {
    const columns = [
      column('i', { kind: 'int', bits: 64, signed: true }),
      column('d', { kind: 'decimal', precision: 18, scale: 4 }),
      column('t', { kind: 'time' }),
      column('ts', { kind: 'timestamp', utc: true }),
    ]
    const safe = 2n ** 52n - 1n
    const batches: bigint[][][] = [
      // Within 2^52: written from numbers.
      [
        [-safe, -1n, 0n, 4294967295n, 4294967296n, safe],
        [-safe, -10001n, 5n, 123456789n, 4294967296n, safe],
        [0n, 1n, 59_999_999n, 3_600_000_000n, 45_296_789_012n, 86_400_000_000n],
        [-safe, -1n, 0n, 1_700_000_000_123_456n, 4294967296n, safe],
      ],
      // Past it (one value is enough): the vector is read as bigints.
      [
        [-(2n ** 63n), safe + 1n, 0n, 1n, -1n, 2n ** 63n - 1n],
        [-(10n ** 18n) + 1n, 2n ** 53n + 1n, 0n, 1n, -1n, 10n ** 18n - 1n],
        [0n, 1n, 59_999_999n, 3_600_000_000n, 45_296_789_012n, 86_400_000_000n],
        [-(2n ** 62n), 2n ** 53n + 1n, 0n, 1n, -1n, 2n ** 62n],
      ],
    ]
    const asVectors = batches.map((batch) => batch.map((values) => BigInt64Array.from(values)))
    const encoder = csvFormat('none').create(columns)
    const parts = [
      ...asVectors.flatMap((batch) =>
        encoder.write({ length: batch[0].length, columns: batch, bytes: 0 }).map((b) => new Uint8Array(b))
      ),
      ...encoder.end(),
    ]
    const text = new TextDecoder().decode(Buffer.concat(parts))
    expect(text).toBe(csv(columns, batches))
    expect(text).toContain(
      '\r\n-4503599627370495,-450359962737.0495,00:00:00.000000,1827-04-16T00:06:12.629505Z\r\n',
    )
    expect(text).toContain('\r\n-9223372036854775808,-99999999999999.9999,')
  })

  test('every type in one row: what textFormatter gives, quoted only where text may need it', () => {
    const types: OutputType[] = [
      { kind: 'int', bits: 64, signed: true },
      { kind: 'int', bits: 32, signed: true },
      { kind: 'float', bits: 64 },
      { kind: 'decimal', precision: 12, scale: 2 },
      { kind: 'string' },
      { kind: 'bool' },
      { kind: 'timestamp', utc: true },
      { kind: 'date' },
      { kind: 'time' },
      { kind: 'uuid' },
      { kind: 'bytes' },
      { kind: 'json' },
      { kind: 'list', element: { kind: 'string' } },
    ]
    const values: Value[][] = [
      [-(2n ** 63n), 2n ** 53n + 1n, 0n, null],
      [-2147483648, 0, 7, null],
      [-0, 0.1, NaN, null],
      [-5n, 0n, 123456789012345678901234567890n, null],
      ['', 'a,b', 'é "q"', null],
      [true, false, true, null],
      [-1n, 0n, 9_223_372_036_854_775_807n, null],
      [-719_529, 0, 2_932_897, null],
      [0n, 86_400_000_000n, 45_296_789_012n, null],
      [new Uint8Array(16), new Uint8Array(16).fill(171), new Uint8Array(16).fill(1), null],
      [new Uint8Array([0, 255]), new Uint8Array(0), new Uint8Array([44]), null],
      ['{"a": 1, "b": "x"}', '[]', 'null', null],
      [['a', 'b,c'], [], [null], null],
    ]
    const columns = types.map((type, i) => column(`c${i}`, type))
    const quote = (text: string) =>
      text === '' || /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
    const lines = [0, 1, 2, 3].map((r) =>
      types.map((type, c) => {
        const v = values[c][r]
        return v === null ? '' : quote(textFormatter(type)(v))
      }).join(',')
    )
    expect(csv(columns, [values])).toBe(
      columns.map((c) => c.name).join(',') + '\r\n' + lines.join('\r\n') + '\r\n',
    )
    // The ASCII-only types' texts are plain, never quoted.
    expect(
      lines[0].startsWith('-9223372036854775808,-2147483648,-0,-0.05,"",true,1969-12-31T23:59:59.999999Z,'),
    ).toBe(
      true,
    )
  })

  test('records from the source are copied before their memory is given back', () => {
    const encoder = csvFormat('none').create([column('a', { kind: 'string' })])
    const records = new TextEncoder().encode('x\r\ny\r\n')
    let released = 0
    const written = encoder.write({
      length: 2,
      columns: [],
      bytes: records.length,
      csv: records,
      release: () => {
        released++
        // The source writes its next batch there at once.
        records.fill(0x7a)
      },
    })
    expect(released).toBe(1)
    expect(new TextDecoder().decode(Buffer.concat(written))).toBe('a\r\nx\r\ny\r\n')
  })
})
