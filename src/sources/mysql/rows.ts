/**
 * Rows of the binary protocol read straight from mysql2's packets, one reader per column chosen
 * once per result. mysql2's own parser calls a `typeCast` function with a new wrapper object for
 * every value (~16% of a MariaDB read, plus the garbage); without one it would turn temporal
 * values into lossy Dates. Here BIGINT, DECIMAL, DATE, DATETIME and TIMESTAMP decode from their
 * bytes into the value contract (src/types/values.ts), and so do the numbers mysql2 reads as they
 * are; every other value is read as mysql2 reads it with rivet's driver options (./source.ts), and
 * converts through src/types as before.
 */
import type { Buffer } from 'node:buffer'
import { sourceError } from '../../errors.ts'
import type { DriverValue } from '../../types/convert.ts'
import { type Column, typeName } from '../../types/output.ts'
import { holdsInt64 } from '../../types/values.ts'
import { bigIntAt, decimalDecoder } from './numbers.ts'
import { temporalDecoder } from './temporal.ts'
import {
  BINARY_CHARSET,
  type BytesDecoder,
  describeMysqlField,
  MYSQL_TYPE,
  type MysqlField,
} from './types.ts'

/** The parts of mysql2's Packet (lib/packets/packet.js) the readers use. */
export interface WirePacket {
  buffer: Buffer
  offset: number
  /** Where the packet's bytes end in `buffer`. */
  end: number
  readLengthCodedNumber(): number
  readLengthCodedString(encoding: string): string
  readLengthCodedBuffer(): Buffer
  readDateTimeString(decimals: number, separator: null, columnType: number): string
  readTimeString(): string
  readInt64(): number | string
  readSInt64(): number | string
}

/** Reads one non-NULL value and moves the packet past it. */
type Reader = (packet: WirePacket) => DriverValue

const UNSIGNED = 32

function fixed(width: number, read: (b: Buffer, at: number) => DriverValue): Reader {
  return (packet) => {
    const at = packet.offset
    packet.offset = at + width
    return read(packet.buffer, at)
  }
}

function lengthCoded(decode: BytesDecoder): Reader {
  return (packet) => {
    const length = packet.readLengthCodedNumber()
    const at = packet.offset
    packet.offset = at + length
    return decode(packet.buffer, at, length)
  }
}

/**
 * A value as mysql2's binary parser reads it (lib/parsers/binary_parser.js) with rivet's options:
 * big numbers as text past 2^53, dates and JSON as text; GEOMETRY and VECTOR stay the server's
 * bytes (mysql2 would parse them into objects) for a bytes override.
 */
function wireReader(field: MysqlField): Reader {
  const unsigned = (field.flags & UNSIGNED) !== 0
  if (field.extendedFormat === 'json') return (p) => p.readLengthCodedString(field.encoding)
  switch (field.columnType) {
    case MYSQL_TYPE.tiny:
      return fixed(1, unsigned ? (b, at) => b[at] : (b, at) => b.readInt8(at))
    case MYSQL_TYPE.short:
      return fixed(2, unsigned ? (b, at) => b.readUInt16LE(at) : (b, at) => b.readInt16LE(at))
    case MYSQL_TYPE.year:
      return fixed(2, (b, at) => b.readUInt16LE(at))
    case MYSQL_TYPE.long:
    case MYSQL_TYPE.int24:
      return fixed(4, unsigned ? (b, at) => b.readUInt32LE(at) : (b, at) => b.readInt32LE(at))
    case MYSQL_TYPE.longlong:
      return unsigned ? (p) => p.readInt64() : (p) => p.readSInt64()
    case MYSQL_TYPE.float:
      return fixed(4, (b, at) => b.readFloatLE(at))
    case MYSQL_TYPE.double:
      return fixed(8, (b, at) => b.readDoubleLE(at))
    case MYSQL_TYPE.null:
      return () => null
    case MYSQL_TYPE.date:
    case MYSQL_TYPE.datetime:
    case MYSQL_TYPE.timestamp:
      return (p) => p.readDateTimeString(field.decimals, null, field.columnType)
    case MYSQL_TYPE.time:
      return (p) => p.readTimeString()
    case MYSQL_TYPE.decimal:
    case MYSQL_TYPE.newdecimal:
      return (p) => p.readLengthCodedString('ascii')
    case MYSQL_TYPE.json:
      // MySQL marks JSON as binary; its text is UTF-8.
      return (p) => p.readLengthCodedString('utf8')
    case MYSQL_TYPE.geometry:
    case MYSQL_TYPE.vector:
      return (p) => p.readLengthCodedBuffer()
  }
  if (field.characterSet === BINARY_CHARSET) return (p) => p.readLengthCodedBuffer()
  return (p) => p.readLengthCodedString(field.encoding)
}

/** Whether the column is exported as the type its field maps to, not an override. */
function ownType(field: MysqlField, column: Column): boolean {
  const own = describeMysqlField(field).type
  return own !== undefined && typeName(own) === typeName(column.type)
}

/**
 * The reader that yields contract values for the column, where one does. For a column of a type
 * an int64 vector holds, safe integers come as numbers (see BatchBuilder).
 */
function decodingReader(field: MysqlField, column: Column): Reader | undefined {
  const numbers = holdsInt64(column.type)
  const temporal = temporalDecoder(column, field, numbers)
  if (temporal) return lengthCoded(temporal)
  if (field.columnType === MYSQL_TYPE.newdecimal && column.type.kind === 'decimal') {
    return lengthCoded(decimalDecoder(column.type.precision, column.type.scale, numbers))
  }
  if (field.columnType === MYSQL_TYPE.longlong && column.type.kind === 'int' && column.type.bits === 64) {
    const signed = (field.flags & UNSIGNED) === 0
    // A signed column exported as uint64 (or the reverse) goes through the range check.
    return signed === column.type.signed ? fixed(8, (b, at) => bigIntAt(b, at, signed, numbers)) : undefined
  }
  if (!ownType(field, column)) return undefined
  switch (field.columnType) {
    // The number mysql2 reads is already the contract's value for the field's own type, except
    // a tinyint(1)'s, which converts to a bool.
    case MYSQL_TYPE.tiny:
      return column.type.kind === 'int' ? wireReader(field) : undefined
    case MYSQL_TYPE.short:
    case MYSQL_TYPE.year:
    case MYSQL_TYPE.long:
    case MYSQL_TYPE.int24:
    case MYSQL_TYPE.double:
      return wireReader(field)
  }
  return undefined
}

/**
 * Whether the column's values decode into the contract from the field's bytes: its converter then
 * passes numbers and bigints through and converts only text (e.g. a zero date).
 */
export function decodes(field: MysqlField, column: Column): boolean {
  return decodingReader(field, column) !== undefined
}

/** A number or bigint as text, for a converter that would pass it through unconverted. */
function asText(read: Reader): Reader {
  return (packet) => {
    const value = read(packet)
    return typeof value === 'number' || typeof value === 'bigint' ? String(value) : value
  }
}

/**
 * The readers for a result's own fields, for columns whose converters were chosen by
 * {@link decodes} on the described fields. Should a field's type change between describe and
 * execute, a column planned as decoded that no longer decodes hands over text, which converts
 * exactly, and one planned as converted gets mysql2's value.
 */
export function resultReaders(fields: MysqlField[], columns: Column[], decoded: boolean[]): Reader[] {
  return fields.map((field, i) => {
    const decoding = decoded[i] ? decodingReader(field, columns[i]) : undefined
    if (decoding) return decoding
    return decoded[i] ? asText(wireReader(field)) : wireReader(field)
  })
}

/** A row parser class in the shape mysql2 asks for, over the readers of a result's columns. */
function rowParser(readers: Reader[]) {
  const count = readers.length
  // A row is a 0x00 header, a NULL bitmap whose first two bits are reserved, then the values.
  const bitmapBytes = (count + 9) >> 3
  return class RowParser {
    next(packet: WirePacket): DriverValue[] {
      const b = packet.buffer
      const bitmap = packet.offset + 1
      packet.offset = bitmap + bitmapBytes
      const row = new Array<DriverValue>(count)
      for (let i = 0; i < count; i++) {
        const bit = i + 2
        row[i] = b[bitmap + (bit >> 3)] & (1 << (bit & 7)) ? null : readers[i](packet)
      }
      // A reader that took the wrong number of bytes would shift every value after it.
      if (packet.offset !== packet.end) {
        throw sourceError(
          `a MySQL row of ${packet.end - bitmap + 1} bytes was read as ${packet.offset - bitmap + 1}: ` +
            'rivet misreads one of its column types; cast the columns to common types in the query',
          'SOURCE_FAILED',
        )
      }
      return row
    }
  }
}

/**
 * Makes a mysql2 execute command parse its rows with {@link resultReaders}: mysql2 asks the
 * command for a row parser class once the result's fields have arrived. That hook is internal to
 * mysql2; should a release drop it, its own parser would hand over values the converters don't
 * expect, so the read stops here instead.
 */
export function readRowsWith(command: object, columns: Column[], decoded: boolean[]): void {
  if (typeof (command as { buildParserFromFields?: unknown }).buildParserFromFields !== 'function') {
    throw sourceError(
      "this mysql2 release has no Execute#buildParserFromFields, which rivet's MySQL reader replaces",
      'SOURCE_FAILED',
    )
  }
  Object.assign(command, {
    buildParserFromFields: (fields: MysqlField[]) => rowParser(resultReaders(fields, columns, decoded)),
  })
}
