/**
 * MySQL and MariaDB column definitions -> output types. The wire metadata (type code, flags,
 * length, decimals, character set, MariaDB's extended type info) is enough to map every column
 * without querying the catalog.
 */
import type { Buffer } from 'node:buffer'
import type { DescribedColumn, OutputType } from '../../types/output.ts'

/** Decodes one non-NULL value of `length` bytes at `at`: a contract value, or text to convert. */
export type BytesDecoder = (b: Buffer, at: number, length: number) => number | bigint | string

/** The parts of a column definition packet rivet reads. */
export interface MysqlField {
  name: string
  columnType: number
  columnLength: number
  flags: number
  decimals: number
  characterSet: number
  /** mysql2's name for the character set, which text values are decoded with. */
  encoding: string
  /** MariaDB: `uuid`, `inet4`, `inet6`, ... */
  extendedTypeName?: string
  /** MariaDB: `json` for JSON columns (which are LONGTEXT underneath). */
  extendedFormat?: string
}

/** Type codes (include/mysql_com.h, enum_field_types). */
export const MYSQL_TYPE = {
  /** Before MySQL 5.0 */
  decimal: 0,
  tiny: 1,
  short: 2,
  long: 3,
  float: 4,
  double: 5,
  null: 6,
  timestamp: 7,
  longlong: 8,
  int24: 9,
  date: 10,
  time: 11,
  datetime: 12,
  year: 13,
  varchar: 15,
  bit: 16,
  /** MySQL 9 */
  vector: 242,
  json: 245,
  newdecimal: 246,
  enum: 247,
  set: 248,
  tinyBlob: 249,
  mediumBlob: 250,
  longBlob: 251,
  blob: 252,
  varString: 253,
  string: 254,
  geometry: 255,
} as const

const FLAG = { notNull: 1, unsigned: 32, enum: 256, set: 2048 } as const
/** Character set number 63 marks binary data (BINARY, VARBINARY, BLOB). */
export const BINARY_CHARSET = 63

const stringTypes = new Set<number>([
  MYSQL_TYPE.varchar,
  MYSQL_TYPE.varString,
  MYSQL_TYPE.string,
  MYSQL_TYPE.enum,
  MYSQL_TYPE.set,
  MYSQL_TYPE.tinyBlob,
  MYSQL_TYPE.mediumBlob,
  MYSQL_TYPE.longBlob,
  MYSQL_TYPE.blob,
])

function integer(bits: 8 | 16 | 32 | 64, unsigned: boolean): OutputType {
  return { kind: 'int', bits, signed: !unsigned }
}

/** A readable source type name for messages and manifests, e.g. `decimal(12,2) unsigned`. */
function sourceTypeName(f: MysqlField, type: OutputType | undefined): string {
  // The server flags BIT, YEAR and TIMESTAMP as unsigned too; only numbers are called that.
  const numeric = type?.kind === 'int' || type?.kind === 'decimal' || type?.kind === 'float'
  const unsigned = numeric && f.flags & FLAG.unsigned && f.columnType !== MYSQL_TYPE.bit &&
      f.columnType !== MYSQL_TYPE.year
    ? ' unsigned'
    : ''
  if (f.extendedTypeName) return f.extendedTypeName
  if (f.extendedFormat === 'json' || f.columnType === MYSQL_TYPE.json) return 'json'
  if (type?.kind === 'decimal') return `decimal(${type.precision},${type.scale})${unsigned}`
  const names: Record<number, string> = {
    1: 'tinyint',
    2: 'smallint',
    3: 'int',
    4: 'float',
    5: 'double',
    6: 'null',
    7: 'timestamp',
    8: 'bigint',
    9: 'mediumint',
    10: 'date',
    11: 'time',
    12: 'datetime',
    13: 'year',
    16: `bit(${f.columnLength})`,
    242: 'vector',
  }
  const name = names[f.columnType]
  if (name) return (f.columnType === MYSQL_TYPE.tiny && f.columnLength === 1 ? 'tinyint(1)' : name) + unsigned
  if (f.flags & FLAG.enum) return 'enum'
  if (f.flags & FLAG.set) return 'set'
  if (stringTypes.has(f.columnType)) {
    const binary = f.characterSet === BINARY_CHARSET
    if (f.columnType === MYSQL_TYPE.string) return binary ? 'binary' : 'char'
    if (f.columnType === MYSQL_TYPE.varchar || f.columnType === MYSQL_TYPE.varString) {
      return binary ? 'varbinary' : 'varchar'
    }
    return binary ? 'blob' : 'text'
  }
  if (f.columnType === MYSQL_TYPE.geometry) return 'geometry'
  return `type ${f.columnType}`
}

function mapField(f: MysqlField): OutputType | undefined {
  const unsigned = (f.flags & FLAG.unsigned) !== 0
  if (f.extendedTypeName === 'uuid') return { kind: 'uuid' }
  if (f.extendedFormat === 'json' || f.columnType === MYSQL_TYPE.json) return { kind: 'json' }
  switch (f.columnType) {
    case MYSQL_TYPE.tiny:
      // tinyint(1) is how MySQL spells BOOLEAN.
      return f.columnLength === 1 ? { kind: 'bool' } : integer(8, unsigned)
    case MYSQL_TYPE.short:
      return integer(16, unsigned)
    case MYSQL_TYPE.int24:
      return integer(32, unsigned)
    case MYSQL_TYPE.long:
      return integer(32, unsigned)
    case MYSQL_TYPE.longlong:
      return integer(64, unsigned)
    case MYSQL_TYPE.year:
      return integer(16, false)
    case MYSQL_TYPE.bit:
      // BIT(n) is an unsigned bit field of up to 64 bits.
      if (f.columnLength === 1) return { kind: 'bool' }
      return integer(
        f.columnLength <= 8 ? 8 : f.columnLength <= 16 ? 16 : f.columnLength <= 32 ? 32 : 64,
        true,
      )
    case MYSQL_TYPE.newdecimal: {
      // The display length counts the digits, a point when there is a scale, and a sign when signed.
      const scale = f.decimals
      const precision = f.columnLength - (scale > 0 ? 1 : 0) - (unsigned ? 0 : 1)
      return { kind: 'decimal', precision, scale }
    }
    case MYSQL_TYPE.float:
      return { kind: 'float', bits: 32 }
    case MYSQL_TYPE.double:
      return { kind: 'float', bits: 64 }
    case MYSQL_TYPE.null:
      // A bare NULL in the select list: every value is NULL, which any type holds.
      return { kind: 'string' }
    case MYSQL_TYPE.date:
      return { kind: 'date' }
    case MYSQL_TYPE.time:
      return { kind: 'time' }
    case MYSQL_TYPE.datetime:
      return { kind: 'timestamp', utc: false }
    case MYSQL_TYPE.timestamp:
      // The session time zone is pinned to +00:00, so TIMESTAMP values arrive in UTC.
      return { kind: 'timestamp', utc: true }
  }
  if (stringTypes.has(f.columnType)) {
    return f.characterSet === BINARY_CHARSET ? { kind: 'bytes' } : { kind: 'string' }
  }
  return undefined
}

/** Maps a MySQL/MariaDB column to its output type, or says why it can't be mapped exactly. */
export function describeMysqlField(f: MysqlField): DescribedColumn {
  const type = mapField(f)
  const base = { name: f.name, sourceType: sourceTypeName(f, type), nullable: (f.flags & FLAG.notNull) === 0 }
  if (type) return { ...base, type, fidelity: 'exact' }
  return {
    ...base,
    fidelity: 'unsupported',
    // Values arrive as the server's raw bytes, which a bytes column keeps exactly.
    suggestedOverride: 'bytes',
    hint: unsupportedHint(f),
  }
}

/** A column name as a YAML key in a `columns:` hint, quoted unless it is a plain word. */
export function yamlKey(column: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(column) ? column : JSON.stringify(column)
}

function unsupportedHint(f: MysqlField): string {
  const col = '`' + f.name.replaceAll('`', '``') + '`'
  const raw = `or add an override for the server's raw bytes, e.g. columns: { ${yamlKey(f.name)}: bytes }`
  if (f.columnType === MYSQL_TYPE.geometry) {
    return `cast it in a query, e.g. ST_AsText(${col}) as ${col} (WKT) or ST_AsBinary(${col}) as ${col} (WKB), ${raw}`
  }
  return `cast it in a query, e.g. cast(${col} as char) as ${col}, ${raw}`
}
