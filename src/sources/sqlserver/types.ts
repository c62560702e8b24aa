/**
 * SQL Server types -> output types, and how each column is read exactly. Input is what
 * `sp_describe_first_result_set` says of a result column: `system_type_name` (alias types
 * already resolved to their system type), precision, scale and nullability.
 */
import type { DescribedColumn, OutputType } from '../../types/output.ts'

/** A result column as `sp_describe_first_result_set` describes it. */
export interface SqlServerColumnInfo {
  name: string
  /** `system_type_name`, e.g. `decimal(18,4)`, `nvarchar(max)`, `datetime2(7)`. */
  typeName: string
  /** Decimal precision; 0 for types without one. */
  precision: number
  /** Decimal scale, or the fractional-second digits of time, datetime2 and datetimeoffset. */
  scale: number
  nullable: boolean
}

const uint8: OutputType = { kind: 'int', bits: 8, signed: false }
const text: OutputType = { kind: 'string' }
const bytes: OutputType = { kind: 'bytes' }
const timestamp: OutputType = { kind: 'timestamp', utc: false }

const byName: Record<string, OutputType> = {
  tinyint: uint8,
  smallint: { kind: 'int', bits: 16, signed: true },
  int: { kind: 'int', bits: 32, signed: true },
  bigint: { kind: 'int', bits: 64, signed: true },
  bit: { kind: 'bool' },
  real: { kind: 'float', bits: 32 },
  float: { kind: 'float', bits: 64 },
  // money is an int64 count of 1/10000, smallmoney an int32 one.
  money: { kind: 'decimal', precision: 19, scale: 4 },
  smallmoney: { kind: 'decimal', precision: 10, scale: 4 },
  char: text,
  varchar: text,
  nchar: text,
  nvarchar: text,
  text,
  ntext: text,
  sysname: text,
  // The server's own serialisation of the document; tedious reads it as text.
  xml: text,
  binary: bytes,
  varbinary: bytes,
  image: bytes,
  // `timestamp` is SQL Server's old name for rowversion: 8 opaque bytes, not a point in time.
  timestamp: bytes,
  rowversion: bytes,
  uniqueidentifier: { kind: 'uuid' },
  date: { kind: 'date' },
  time: { kind: 'time' },
  // datetime counts 1/300 s; SQL Server itself shows it rounded to .000/.003/.007 ms, and so does rivet.
  datetime: timestamp,
  smalldatetime: timestamp,
  datetime2: timestamp,
  datetimeoffset: { kind: 'timestamp', utc: true },
}

/** CLR types: tedious reads them as their serialised bytes, which a `bytes` override keeps. */
const CLR_TYPES = new Set(['geography', 'geometry', 'hierarchyid'])

/** Types whose 7th fractional digit (100 ns) has no place in a microsecond value. */
const FRACTIONAL = new Set(['time', 'datetime2', 'datetimeoffset'])

/** The bare type name: `decimal(18,4)` -> `decimal`. */
function baseTypeName(typeName: string): string {
  return typeName.replace(/\(.*$/, '').trim().toLowerCase()
}

/** A column name as a T-SQL identifier. */
function bracket(name: string): string {
  return `[${name.replaceAll(']', ']]')}]`
}

function yamlKey(column: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(column) ? column : JSON.stringify(column)
}

function castHint(base: string, column: string): string {
  const col = bracket(column)
  if (base === 'geography' || base === 'geometry') {
    return `cast it in a query, e.g. ${col}.STAsText() as ${col} (WKT) or ${col}.STAsBinary() as ${col} (WKB)`
  }
  if (base === 'hierarchyid') return `cast it in a query, e.g. ${col}.ToString() as ${col}`
  return `cast it in a query, e.g. cast(${col} as nvarchar(max)) as ${col}`
}

/** Maps one SQL Server column to its output type, or says why it can't be mapped exactly. */
export function describeSqlServerColumn(info: SqlServerColumnInfo): DescribedColumn {
  const base = baseTypeName(info.typeName)
  const column = { name: info.name, sourceType: info.typeName, nullable: info.nullable }
  if (base === 'decimal' || base === 'numeric') {
    const type: OutputType = { kind: 'decimal', precision: info.precision, scale: info.scale }
    return { ...column, type, fidelity: 'exact' }
  }
  const type = byName[base]
  if (!type) {
    return {
      ...column,
      fidelity: 'unsupported',
      hint: castHint(base, info.name),
      ...(CLR_TYPES.has(base) ? { suggestedOverride: 'bytes' } : {}),
    }
  }
  if (FRACTIONAL.has(base) && info.scale > 6) {
    return {
      ...column,
      type,
      fidelity: 'lossy',
      hint: `microseconds are kept, the 100 ns digit is dropped; columns: { ${
        yamlKey(info.name)
      }: "string" } keeps all ${info.scale} digits as text`,
    }
  }
  return { ...column, type, fidelity: 'exact' }
}

/**
 * The select-list expression that hands a column to tedious as exact text, or undefined when
 * tedious already reads it exactly (integers, bigint as text, floats, bit, strings, bytes,
 * uniqueidentifier as canonical text). tedious parses decimal and money into a JS number and the
 * temporal types into a JS Date, which drop digits and microseconds; conversion to varchar on the
 * server gives the value's own text instead, in fixed, language-independent forms: a decimal's
 * digits, and style 121 (ODBC canonical with every fractional digit the type holds), which is
 * also what CAST gives a date. datetimeoffset is first shifted to +00:00, so the text is UTC.
 * money goes through the decimal of the same precision and scale, which holds every money value:
 * CONVERT style 2 of money itself is exact on SQL Server, but Babelfish formats it through a float
 * and loses the last digits of the extremes (922337203685477.5807 -> .5800). CAST rather than
 * CONVERT where no style is needed: the same text on SQL Server, and on Babelfish CONVERT of a
 * date costs ~60 us a value (a 1M-row export took 75 s instead of 5 s).
 */
export function exactTextExpression(info: SqlServerColumnInfo, ref: string): string | undefined {
  switch (baseTypeName(info.typeName)) {
    case 'decimal':
    case 'numeric':
      return `cast(${ref} as varchar(50))`
    case 'money':
      return `cast(cast(${ref} as decimal(19,4)) as varchar(50))`
    case 'smallmoney':
      return `cast(cast(${ref} as decimal(10,4)) as varchar(50))`
    case 'date':
      return `cast(${ref} as varchar(10))`
    case 'time':
      return `convert(varchar(16), ${ref}, 121)`
    case 'datetime':
    case 'smalldatetime':
    case 'datetime2':
      return `convert(varchar(27), ${ref}, 121)`
    case 'datetimeoffset':
      return `convert(varchar(34), switchoffset(${ref}, '+00:00'), 121)`
    default:
      return undefined
  }
}

/** The alias of the user's query inside the query rivet runs. */
const INNER = '[rivet_q]'

/**
 * The query rivet runs to read `query` exactly: the query itself when every column reads exactly
 * as is, otherwise `select convert(...) as [c], [d], ... from (<query>) as [rivet_q]`. Wrapping
 * keeps the user's SQL untouched (no parsing of it) and does the text conversion on the server,
 * at the cost that the query must be valid as a derived table (see {@link wrapHint}).
 */
export function exactQuery(query: string, infos: readonly SqlServerColumnInfo[]): string {
  const exprs = infos.map((info) => exactTextExpression(info, `${INNER}.${bracket(info.name)}`))
  if (exprs.every((e) => e === undefined)) return query
  const list = infos.map((info, i) => {
    const name = bracket(info.name)
    return exprs[i] ? `${exprs[i]} as ${name}` : `${INNER}.${name}`
  })
  return `select ${list.join(', ')} from (${query}) as ${INNER}`
}

/** What to do when a query cannot be wrapped by {@link exactQuery}. */
export const wrapHint =
  'rivet reads decimal, money and date/time columns as text (CAST or CONVERT) in an outer select, ' +
  'so the query must also work as a derived table: drop a final ORDER BY (or add OFFSET 0 ROWS ' +
  'after it), give every column a unique name, and turn a WITH ... query into a view or a derived table'
