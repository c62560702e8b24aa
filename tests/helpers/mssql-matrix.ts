/**
 * The SQL Server type matrix, shared by the suite against the TDS double and the one against a
 * real server: one column per SQL Server type rivet maps, four rows (typical values, minimums,
 * maximums, NULLs), what the double sends for each value, the T-SQL that creates the same table
 * on a real server, and the exact values and CSV rivet must write.
 */
import { type ColumnSpec, hex, matrixCsv, type Neutral, type TypeMatrix } from './matrix.ts'
import type { ResultSet, TdsValue } from './tds-server.ts'

/** One column of the matrix. */
export interface MatrixColumn extends ColumnSpec {
  /** The T-SQL type. */
  type: string
  nullable: boolean
  /** The stored values, row by row, as the double encodes them (and as T-SQL literals take them). */
  values: TdsValue[]
  /** For columns rivet reads through CONVERT: the text SQL Server's CONVERT returns. */
  text?: (string | null)[]
  /** What rivet must write, in the neutral form of tests/helpers/matrix.ts. */
  expect: Neutral[]
}

const LONG_BYTES = Uint8Array.from({ length: 10_000 }, (_, i) => i % 256)
const LONG_VARCHAR = 'x'.repeat(9000)
// Non-ASCII text is spelled with escapes: Bun's transpiler rewrites such characters in some
// template literals, and the escapes keep the source plain ASCII either way.
const EMOJI = '\u{1F600}'
const LONG_NVARCHAR = EMOJI.repeat(3000) + ' end'

type Spec = Omit<MatrixColumn, 'expect' | 'nullable'> & { expect?: Neutral[]; nullable?: boolean }

function column(spec: Spec): MatrixColumn {
  const derived = spec.values.map((v): Neutral => {
    if (v === null) return null
    if (v instanceof Uint8Array) return hex(v)
    if (typeof v === 'boolean') return v
    return spec.kind === 'uuid' ? String(v).toLowerCase() : String(v)
  })
  return { ...spec, nullable: spec.nullable ?? true, expect: spec.expect ?? derived }
}

/** The matrix, column by column; row 4 is all NULL except the NOT NULL columns. */
export const MATRIX: MatrixColumn[] = [
  column({ name: 'id', type: 'int', kind: 'int', values: [1, 2, 3, 4], nullable: false }),
  column({ name: 'c_tinyint', type: 'tinyint', kind: 'int', values: [7, 0, 255, null] }),
  column({ name: 'c_smallint', type: 'smallint', kind: 'int', values: [1, -32768, 32767, null] }),
  column({ name: 'c_int', type: 'int', kind: 'int', values: [2, -2147483648, 2147483647, null] }),
  column({
    name: 'c_bigint',
    type: 'bigint',
    kind: 'int',
    values: [3n, -9223372036854775808n, 9223372036854775807n, null],
  }),
  ...[
    ['c_dec5_2', 'decimal(5,2)', 2, ['123.45', '-999.99', '999.99']],
    ['c_dec18_4', 'decimal(18,4)', 4, ['12345678901234.5678', '-99999999999999.9999', '0.0001']],
    [
      'c_num38_10',
      'numeric(38,10)',
      10,
      ['1234567890123456789012345678.0123456789', '-9999999999999999999999999999.9999999999', '0.0000000001'],
    ],
    [
      'c_dec38_0',
      'decimal(38,0)',
      0,
      ['12345678901234567890123456789012345678', '-99999999999999999999999999999999999999', '0'],
    ],
    ['c_money', 'money', 4, ['1234.5600', '-922337203685477.5808', '922337203685477.5807']],
    ['c_smallmoney', 'smallmoney', 4, ['-12.3456', '-214748.3648', '214748.3647']],
  ].map(([name, type, scale, values]) =>
    column({
      name: name as string,
      type: type as string,
      kind: 'dec',
      scale: scale as number,
      values: [...values as string[], null],
      // SQL Server prints decimals with every digit of the scale, as these are written.
      text: [...values as string[], null],
    })
  ),
  column({ name: 'c_real', type: 'real', kind: 'float', values: [1.5, -1048576.5, 0.25, null] }),
  column({
    name: 'c_float',
    type: 'float',
    kind: 'float',
    // SQL Server floats have no subnormals: the smallest positive one is DBL_MIN.
    values: [0.1, -1.7976931348623157e308, 2.2250738585072014e-308, null],
    expect: ['0.1', '-1.7976931348623157e+308', '2.2250738585072014e-308', null],
  }),
  column({ name: 'c_bit', type: 'bit', kind: 'bool', values: [true, false, true, null] }),
  column({ name: 'c_char', type: 'char(5)', kind: 'str', values: ['ab   ', '     ', 'abcde', null] }),
  column({
    name: 'c_varchar',
    type: 'varchar(20)',
    kind: 'str',
    values: ['hello, "world"', '', 'line1\r\nline2,"q"', null],
  }),
  column({
    name: 'c_varchar_max',
    type: 'varchar(max)',
    kind: 'str',
    values: [LONG_VARCHAR, '', '\u00e9', null],
  }),
  column({ name: 'c_nchar', type: 'nchar(3)', kind: 'str', values: ['\u00e9  ', '   ', 'abc', null] }),
  column({
    name: 'c_nvarchar',
    type: 'nvarchar(50)',
    kind: 'str',
    values: [`\u00fc\u20ac${EMOJI}`, '', 'tab\there', null],
  }),
  column({
    name: 'c_nvarchar_max',
    type: 'nvarchar(max)',
    kind: 'str',
    values: [LONG_NVARCHAR, '', 'short', null],
  }),
  column({ name: 'c_text', type: 'text', kind: 'str', values: ['plain text', '', '\u00fc', null] }),
  column({ name: 'c_ntext', type: 'ntext', kind: 'str', values: ['ntext \u00fc', '', EMOJI, null] }),
  column({
    name: 'c_xml',
    type: 'xml',
    kind: 'str',
    values: ['<a b="1">x</a>', '<r>0</r>', '<q>&amp;</q>', null],
  }),
  column({
    name: 'c_binary',
    type: 'binary(4)',
    kind: 'bytes',
    values: [
      Uint8Array.of(0xde, 0xad, 0xbe, 0xef),
      new Uint8Array(4),
      Uint8Array.of(255, 255, 255, 255),
      null,
    ],
  }),
  column({
    name: 'c_varbinary',
    type: 'varbinary(16)',
    kind: 'bytes',
    values: [
      Uint8Array.of(0, 0xff, 0x80),
      new Uint8Array(0),
      Uint8Array.from({ length: 16 }, (_, i) => i + 1),
      null,
    ],
  }),
  column({
    name: 'c_varbinary_max',
    type: 'varbinary(max)',
    kind: 'bytes',
    values: [LONG_BYTES, new Uint8Array(0), Uint8Array.of(0), null],
  }),
  column({
    name: 'c_image',
    type: 'image',
    kind: 'bytes',
    values: [Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(255), null],
  }),
  column({
    name: 'c_uuid',
    type: 'uniqueidentifier',
    kind: 'uuid',
    // The last one shows the byte order: SQL Server stores the first three groups little-endian.
    values: [
      'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11',
      '00000000-0000-0000-0000-000000000000',
      '01020304-0506-0708-090A-0B0C0D0E0F10',
      null,
    ],
  }),
  column({
    name: 'c_date',
    type: 'date',
    kind: 'date',
    values: ['2024-02-29', '0001-01-01', '9999-12-31', null],
    text: ['2024-02-29', '0001-01-01', '9999-12-31', null],
    expect: ['19782', '-719162', '2932896', null],
  }),
  column({
    name: 'c_time',
    type: 'time(7)',
    kind: 'time',
    values: ['12:34:56.7890123', '00:00:00', '23:59:59.9999999', null],
    text: ['12:34:56.7890123', '00:00:00.0000000', '23:59:59.9999999', null],
    // The 100 ns digit is dropped (check reports the column as lossy).
    expect: ['45296789012', '0', '86399999999', null],
  }),
  column({
    name: 'c_time3',
    type: 'time(3)',
    kind: 'time',
    values: ['12:34:56.789', '00:00:00', '23:59:59.999', null],
    text: ['12:34:56.789', '00:00:00.000', '23:59:59.999', null],
    expect: ['45296789000', '0', '86399999000', null],
  }),
  column({
    name: 'c_datetime',
    type: 'datetime',
    kind: 'ts',
    values: ['2024-02-29 12:34:56.997', '1753-01-01 00:00:00', '9999-12-31 23:59:59.997', null],
    text: ['2024-02-29 12:34:56.997', '1753-01-01 00:00:00.000', '9999-12-31 23:59:59.997', null],
    expect: ['1709210096997000', '-6847804800000000', '253402300799997000', null],
  }),
  column({
    name: 'c_smalldatetime',
    type: 'smalldatetime',
    kind: 'ts',
    values: ['2024-02-29 12:35', '1900-01-01 00:00', '2079-06-06 23:59', null],
    text: ['2024-02-29 12:35:00.000', '1900-01-01 00:00:00.000', '2079-06-06 23:59:00.000', null],
    expect: ['1709210100000000', '-2208988800000000', '3453321540000000', null],
  }),
  column({
    name: 'c_datetime2',
    type: 'datetime2(7)',
    kind: 'ts',
    values: ['2024-02-29 12:34:56.7890123', '0001-01-01 00:00:00', '9999-12-31 23:59:59.9999999', null],
    text: ['2024-02-29 12:34:56.7890123', '0001-01-01 00:00:00.0000000', '9999-12-31 23:59:59.9999999', null],
    expect: ['1709210096789012', '-62135596800000000', '253402300799999999', null],
  }),
  column({
    name: 'c_datetime2_3',
    type: 'datetime2(3)',
    kind: 'ts',
    values: ['2024-02-29 12:34:56.789', '0001-01-01 00:00:00', '9999-12-31 23:59:59.999', null],
    text: ['2024-02-29 12:34:56.789', '0001-01-01 00:00:00.000', '9999-12-31 23:59:59.999', null],
    expect: ['1709210096789000', '-62135596800000000', '253402300799999000', null],
  }),
  column({
    name: 'c_dto',
    type: 'datetimeoffset(7)',
    kind: 'ts',
    values: [
      '2024-02-29 12:34:56.7890123 +05:30',
      '0001-01-01 00:00:00 +00:00',
      '2000-01-01 00:00:00.0000001 -08:00',
      null,
    ],
    // switchoffset(..., '+00:00'): the text is UTC.
    text: [
      '2024-02-29 07:04:56.7890123 +00:00',
      '0001-01-01 00:00:00.0000000 +00:00',
      '2000-01-01 08:00:00.0000001 +00:00',
      null,
    ],
    expect: ['1709190296789012', '-62135596800000000', '946713600000000', null],
  }),
  column({
    name: 'c_req',
    type: 'nvarchar(10)',
    kind: 'str',
    values: ['req1', '', 'x', 'all null'],
    nullable: false,
  }),
]

/** The columns rivet must read through CONVERT. */
export const CONVERTED = MATRIX.filter((c) => c.text).map((c) => c.name)

/** The expected rows, in id order. */
const EXPECTED_ROWS: Record<string, Neutral>[] = [0, 1, 2, 3].map((r) =>
  Object.fromEntries(MATRIX.map((c) => [c.name, c.expect[r]]))
)

// ---------------------------------------------------------------------------------------------
// What the double answers.

function typeArgs(type: string): number[] {
  return (/\(([\d,\s]+)\)/.exec(type)?.[1] ?? '').split(',').filter(Boolean).map(Number)
}

/** `sp_describe_first_result_set`'s answer for columns of the given T-SQL types. */
export function describeReply(columns: { name: string; type: string; nullable?: boolean }[]): ResultSet {
  return {
    columns: [
      { name: 'is_hidden', type: 'bit' },
      { name: 'column_ordinal', type: 'int' },
      { name: 'name', type: 'nvarchar(128)' },
      { name: 'is_nullable', type: 'bit' },
      { name: 'system_type_name', type: 'nvarchar(256)' },
      { name: 'max_length', type: 'smallint' },
      { name: 'precision', type: 'tinyint' },
      { name: 'scale', type: 'tinyint' },
    ],
    rows: columns.map((c, i) => {
      const args = typeArgs(c.type)
      const decimal = /^(decimal|numeric)/.test(c.type)
      const fractional = /^(time|datetime2|datetimeoffset)\(/.test(c.type)
      return [
        false,
        i + 1,
        c.name,
        c.nullable !== false,
        c.type,
        -1,
        decimal ? args[0] : 0,
        decimal ? args[1] : fractional ? args[0] : 0,
      ]
    }),
  }
}

/** The rows of the matrix as SQL Server sends them for rivet's query: CONVERT text where it converts. */
export function matrixReply(): ResultSet {
  return {
    columns: MATRIX.map((c) => ({
      name: c.name,
      type: c.text ? 'varchar(50)' : c.type,
      nullable: c.nullable,
    })),
    rows: [0, 1, 2, 3].map((r) => MATRIX.map((c) => c.text ? c.text[r] : c.values[r])),
  }
}

// ---------------------------------------------------------------------------------------------
// The same table on a real server.

function literal(c: MatrixColumn, v: TdsValue): string {
  if (v === null) return 'null'
  if (v instanceof Uint8Array) return '0x' + hex(v)
  if (typeof v === 'boolean') return v ? '1' : '0'
  if (typeof v === 'number' || typeof v === 'bigint') return String(v)
  if (c.kind === 'dec') return v
  // yyyy-mm-ddThh:mm:ss is read the same under every language and DATEFORMAT setting.
  const text = c.type === 'datetime' || c.type === 'smalldatetime'
    ? v.replace(' ', 'T').replace(/T(\d\d:\d\d)$/, 'T$1:00')
    : v
  const quoted = `'${text.replaceAll("'", "''")}'`
  return /^(n|xml)/.test(c.type) ? 'N' + quoted : quoted
}

/** T-SQL that (re)creates `table` with the matrix's columns and rows. */
export function matrixTableSql(table: string): string {
  const columns = MATRIX.map((c) => `[${c.name}] ${c.type} ${c.nullable ? 'null' : 'not null'}`)
  const rows = [0, 1, 2, 3].map((r) => `(${MATRIX.map((c) => literal(c, c.values[r])).join(', ')})`)
  return [
    `if object_id(N'${table}') is not null drop table ${table};`,
    `create table ${table} (${columns.join(', ')});`,
    `insert into ${table} values ${rows.join(',\n')};`,
  ].join('\n')
}

/** The DuckDB type of every matrix column. */
const EXPECTED_DUCK_TYPES: Record<string, string> = {
  id: 'INTEGER',
  c_tinyint: 'UTINYINT',
  c_smallint: 'SMALLINT',
  c_int: 'INTEGER',
  c_bigint: 'BIGINT',
  c_dec5_2: 'DECIMAL(5,2)',
  c_dec18_4: 'DECIMAL(18,4)',
  c_num38_10: 'DECIMAL(38,10)',
  c_dec38_0: 'DECIMAL(38,0)',
  c_money: 'DECIMAL(19,4)',
  c_smallmoney: 'DECIMAL(10,4)',
  c_real: 'FLOAT',
  c_float: 'DOUBLE',
  c_bit: 'BOOLEAN',
  c_char: 'VARCHAR',
  c_varchar: 'VARCHAR',
  c_varchar_max: 'VARCHAR',
  c_nchar: 'VARCHAR',
  c_nvarchar: 'VARCHAR',
  c_nvarchar_max: 'VARCHAR',
  c_text: 'VARCHAR',
  c_ntext: 'VARCHAR',
  c_xml: 'VARCHAR',
  c_binary: 'BLOB',
  c_varbinary: 'BLOB',
  c_varbinary_max: 'BLOB',
  c_image: 'BLOB',
  c_uuid: 'UUID',
  c_date: 'DATE',
  c_time: 'TIME',
  c_time3: 'TIME',
  c_datetime: 'TIMESTAMP',
  c_smalldatetime: 'TIMESTAMP',
  c_datetime2: 'TIMESTAMP',
  c_datetime2_3: 'TIMESTAMP',
  c_dto: 'TIMESTAMP WITH TIME ZONE',
  c_req: 'VARCHAR',
}

/** The matrix for tests/helpers/matrix.ts's checkMatrixParquet. */
export const SQLSERVER_MATRIX: TypeMatrix = {
  columns: MATRIX,
  rows: EXPECTED_ROWS,
  duckTypes: EXPECTED_DUCK_TYPES,
}

/** The CSV rivet must write for the matrix, byte for byte (NULL empty, '' quoted, CRLF). */
export function expectedCsv(): string {
  return matrixCsv(MATRIX, [
    [
      '1,7,1,2,3,123.45,12345678901234.5678,1234567890123456789012345678.0123456789',
      '12345678901234567890123456789012345678,1234.5600,-12.3456,1.5,0.1,true,ab   ,"hello, ""world"""',
      `${LONG_VARCHAR},\u00e9  ,\u00fc\u20ac${EMOJI},${LONG_NVARCHAR},plain text,ntext \u00fc,"<a b=""1"">x</a>"`,
      `deadbeef,00ff80,${hex(LONG_BYTES)},0102,a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,2024-02-29`,
      '12:34:56.789012,12:34:56.789000,2024-02-29T12:34:56.997000,2024-02-29T12:35:00.000000',
      '2024-02-29T12:34:56.789012,2024-02-29T12:34:56.789000,2024-02-29T07:04:56.789012Z,req1',
    ],
    [
      '2,0,-32768,-2147483648,-9223372036854775808,-999.99,-99999999999999.9999',
      '-9999999999999999999999999999.9999999999,-99999999999999999999999999999999999999',
      '-922337203685477.5808,-214748.3648,-1048576.5,-1.7976931348623157e+308,false,     ,"",""',
      '   ,"","","","",<r>0</r>,00000000,"","","",00000000-0000-0000-0000-000000000000,0001-01-01',
      '00:00:00.000000,00:00:00.000000,1753-01-01T00:00:00.000000,1900-01-01T00:00:00.000000',
      '0001-01-01T00:00:00.000000,0001-01-01T00:00:00.000000,0001-01-01T00:00:00.000000Z,""',
    ],
    [
      '3,255,32767,2147483647,9223372036854775807,999.99,0.0001,0.0000000001,0,922337203685477.5807',
      '214748.3647,0.25,2.2250738585072014e-308,true,abcde,"line1\r\nline2,""q""",\u00e9,abc,tab\there,short,\u00fc',
      `${EMOJI},<q>&amp;</q>,ffffffff,0102030405060708090a0b0c0d0e0f10,00,ff`,
      '01020304-0506-0708-090a-0b0c0d0e0f10,9999-12-31,23:59:59.999999,23:59:59.999000',
      '9999-12-31T23:59:59.997000,2079-06-06T23:59:00.000000,9999-12-31T23:59:59.999999',
      '9999-12-31T23:59:59.999000,2000-01-01T08:00:00.000000Z,x',
    ],
    ['4' + ','.repeat(MATRIX.length - 2) + ',all null'],
  ])
}
