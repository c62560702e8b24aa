/**
 * The MySQL row reader's decoders, without a server: DECIMAL digits and BIGINT bytes must give
 * exactly what src/types makes of mysql2's text, and the readers must take values one after
 * another from a packet, also when a field's type changed after describe.
 */
import { describe, expect, test } from 'bun:test'
import { Buffer } from 'node:buffer'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { bigIntAt, decimalDecoder } from '../../src/sources/mysql/numbers.ts'
import { readRowsWith, resultReaders, type WirePacket } from '../../src/sources/mysql/rows.ts'
import { MYSQL_TYPE, type MysqlField } from '../../src/sources/mysql/types.ts'
import { parseDecimal } from '../../src/types/decimal.ts'
import type { Column } from '../../src/types/output.ts'

const ascii = (text: string) => Buffer.from(`--${text}`, 'latin1')

/** What src/types makes of the text, or the message it fails with. */
function viaText(text: string, precision: number, scale: number): bigint | string {
  try {
    return parseDecimal(text, precision, scale)
  } catch (error) {
    return (error as Error).message
  }
}

/** The decoder's value, through the converter when it hands over text. */
function viaBytes(text: string, precision: number, scale: number): bigint | string {
  const value = decimalDecoder(precision, scale)(ascii(text), 2, text.length)
  return typeof value === 'string' ? viaText(value, precision, scale) : value as bigint
}

describe('DECIMAL digits', () => {
  test('plain values decode to the unscaled bigint', () => {
    expect(decimalDecoder(12, 2)(ascii('-1234.50'), 2, 8)).toBe(-123450n)
    expect(decimalDecoder(5, 0)(ascii('42'), 2, 2)).toBe(42n)
    expect(decimalDecoder(15, 15)(ascii('0.123456789012345'), 2, 17)).toBe(123456789012345n)
  })

  test('more than 15 digits, another scale or too many digits stay text', () => {
    expect(decimalDecoder(18, 4)(ascii('99999999999999.9999'), 2, 19)).toBe('99999999999999.9999')
    expect(decimalDecoder(12, 3)(ascii('1.50'), 2, 4)).toBe('1.50')
    expect(decimalDecoder(3, 2)(ascii('10.00'), 2, 5)).toBe('10.00')
  })

  test('every form gives what parsing the text gives', () => {
    const texts = [
      '0.00',
      '-0.01',
      '0.01',
      '1.00',
      '-999.99',
      '999.99',
      '1000.00',
      '00012.30',
      '1.2.3',
      '-',
      '.',
      '',
    ]
    for (let i = 0; i < 2000; i++) {
      const digits = String(Math.floor(Math.random() * 10 ** (1 + (i % 17)))).padStart(3, '0')
      texts.push(`${i % 2 ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`)
    }
    for (const text of texts) {
      for (const [precision, scale] of [[5, 2], [12, 2], [15, 2], [17, 2], [30, 2], [12, 1]]) {
        expect([text, precision, scale, viaBytes(text, precision, scale)]).toEqual([
          text,
          precision,
          scale,
          viaText(text, precision, scale),
        ])
      }
    }
  })
})

describe('BIGINT bytes', () => {
  const edges = [0n, 1n, 2n ** 32n - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, 2n ** 63n - 1n]
  test('signed values either side of 2^53 and at the ends are exact', () => {
    for (const n of [...edges, ...edges.map((n) => -n), -(2n ** 63n)]) {
      const b = Buffer.alloc(9)
      b.writeBigInt64LE(n, 1)
      expect(bigIntAt(b, 1, true)).toBe(n)
    }
  })

  test('unsigned values up to 2^64 - 1 are exact', () => {
    for (const n of [...edges, 2n ** 63n, 2n ** 64n - 1n]) {
      const b = Buffer.alloc(8)
      b.writeBigUInt64LE(n)
      expect(bigIntAt(b, 0, false)).toBe(n)
    }
  })
})

// mysql2's own packet class (not among its package exports), so the readers run against the
// methods they call in production.
const require = createRequire(import.meta.url)
const Packet = require(
  join(dirname(require.resolve('mysql2/package.json')), 'lib/packets/packet.js'),
) as new (
  id: number,
  buffer: Buffer,
  start: number,
  end: number,
) => WirePacket

const field = (columnType: number, flags = 0): MysqlField => ({
  name: 'c',
  columnType,
  columnLength: 20,
  flags,
  decimals: 0,
  characterSet: 224,
  encoding: 'utf8',
})
const column = (type: Column['type']): Column => ({ name: 'c', sourceType: 't', type, nullable: true })
const int64 = column({ kind: 'int', bits: 64, signed: true })

/** A packet holding `values` after its 4 header bytes, where its reading starts. */
function packetOf(values: number[]): WirePacket {
  const bytes = Buffer.from([0, 0, 0, 0, ...values])
  return new Packet(0, bytes, 0, bytes.length)
}

describe('column readers', () => {
  test('a decoded BIGINT and text as mysql2 reads it, one after the other', () => {
    const fields = [field(MYSQL_TYPE.longlong), field(MYSQL_TYPE.varString)]
    const readers = resultReaders(fields, [int64, column({ kind: 'string' })], [true, false])
    const packet = packetOf([...Buffer.from('0100000000000080', 'hex'), 3, ...Buffer.from('h\u00e9', 'utf8')])
    expect(readers[0](packet)).toBe(-(2n ** 63n) + 1n)
    expect(readers[1](packet)).toBe('h\u00e9')
  })

  test('a column planned as decoded whose field arrives as another type hands over text', () => {
    const readers = resultReaders([field(MYSQL_TYPE.long)], [int64], [true])
    expect(readers[0](packetOf([0xff, 0xff, 0xff, 0xff]))).toBe('-1')
  })
})

describe('row parser', () => {
  /** The row parser class mysql2 would get from an execute command. */
  function parserFor(fields: MysqlField[], columns: Column[], decoded: boolean[]) {
    type ParserClass = new () => { next(p: WirePacket): unknown[] }
    const command: { buildParserFromFields: (f: MysqlField[]) => ParserClass | undefined } = {
      buildParserFromFields: () => undefined,
    }
    readRowsWith(command, columns, decoded)
    const Parser = command.buildParserFromFields(fields)!
    return new Parser()
  }
  const fields = [field(MYSQL_TYPE.longlong), field(MYSQL_TYPE.varString), field(MYSQL_TYPE.longlong)]
  const columns = [int64, column({ kind: 'string' }), int64]

  test('NULLs come from the bitmap and take no bytes', () => {
    // The header, then the bitmap: bits 0 and 1 reserved, column 1 (bit 3) NULL.
    const row = [0, 0b1000, ...Buffer.from('0700000000000000ffffffffffffffff', 'hex')]
    // Safe int64 values come as numbers, which BatchBuilder writes into int64 vectors.
    expect(parserFor(fields, columns, [true, false, true]).next(packetOf(row))).toEqual([7, null, -1])
  })

  test('a row not read to its end stops the read', () => {
    const row = [0, 0b11000, ...Buffer.from('0700000000000000ff', 'hex')]
    expect(() => parserFor(fields, columns, [true, false, true]).next(packetOf(row))).toThrow(
      'a MySQL row of 11 bytes was read as 10',
    )
  })

  test('a mysql2 without the hook is refused rather than read with its own parser', () => {
    expect(() => readRowsWith({}, columns, [])).toThrow('no Execute#buildParserFromFields')
  })
})
