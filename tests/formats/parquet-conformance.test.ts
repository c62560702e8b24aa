/**
 * One Parquet file with every output type, exported by the CLI from a PostgreSQL table (and a
 * MariaDB JSON column), read back by four independent readers: DuckDB, hyparquet, Apache Arrow's
 * Go implementation and arrow-rs (parquet-wasm). Each reader's values and the types it reports
 * are asserted, and the schema elements are those DuckDB's own COPY writes for the same types.
 * The export runs under Bun, Deno and the compiled binary, which must write the same bytes.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { rivet, type Runtime } from '../helpers/cli.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { MYSQL_URL, mysqlExec } from '../helpers/mysql.ts'
import {
  columnElements,
  decimalText,
  duck,
  duckTypes,
  elementShape,
  readHyparquetRaw,
  readWithHyparquet,
  unscaledDecimal,
} from '../helpers/parquet.ts'
import {
  arrowColumn,
  arrowGoColumn,
  arrowGoTypes,
  arrowTypes,
  readWithArrowRs,
} from '../helpers/parquet-readers.ts'
import { PG_URL, pgExec } from '../helpers/pg.ts'

/**
 * The kinds of canonical value: integers (and dates in days, times and timestamps in
 * microseconds, decimals unscaled) as decimal text, floats as JS prints them, hex for bytes.
 */
type Kind =
  | 'int'
  | 'uint'
  | 'decimal'
  | 'float'
  | 'bool'
  | 'text'
  | 'bytes'
  | 'uuid'
  | 'json'
  | 'date'
  | 'time'
  | 'ts'
type Canonical = string | null | (string | null)[]

interface Spec {
  name: string
  /** PostgreSQL column type. */
  pg: string
  /** A `columns:` override, for the types PostgreSQL lacks (int8, unsigned). */
  override?: string
  kind: Kind
  /** For a list, the element's kind is `kind`. */
  list?: boolean
  scale?: number
  bits?: number
  /** SQL literals of rows 1..5. */
  sql: string[]
  /** Canonical values of rows 1..5. */
  values: Canonical[]
  /** DuckDB's DESCRIBE type, arrow-rs's Arrow type, arrow-go's physical/converted type. */
  duck: string
  arrow: string
  go: string
  /** The leaf's schema element, as DuckDB's COPY writes it, plus the logical types Arrow adds. */
  element: Record<string, unknown>
}

const OPT = { repetition_type: 'OPTIONAL' }
const UTF8 = { type: 'BYTE_ARRAY', ...OPT, converted_type: 'UTF8', logical_type: { type: 'STRING' } }
const int = (type: string, converted: string) => ({ type, ...OPT, converted_type: converted })
const decimal = (type: string, precision: number, scale: number, length?: number) => ({
  type,
  ...(length ? { type_length: length } : {}),
  ...OPT,
  converted_type: 'DECIMAL',
  precision,
  scale,
  logical_type: { type: 'DECIMAL', precision, scale },
})
const timestamp = (utc: boolean) => ({
  type: 'INT64',
  ...OPT,
  converted_type: 'TIMESTAMP_MICROS',
  logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: utc, unit: 'MICROS' },
})
const DAY_US = 86_400_000_000n

const specs: Spec[] = [
  {
    name: 'i8',
    pg: 'smallint',
    override: 'int8',
    kind: 'int',
    sql: ['-128', '127', 'null', '0', '-1'],
    values: ['-128', '127', null, '0', '-1'],
    duck: 'TINYINT',
    arrow: 'Int8',
    go: 'INT32/INT_8',
    element: int('INT32', 'INT_8'),
  },
  {
    name: 'i16',
    pg: 'smallint',
    kind: 'int',
    sql: ['-32768', '32767', 'null', '0', '-1'],
    values: ['-32768', '32767', null, '0', '-1'],
    duck: 'SMALLINT',
    arrow: 'Int16',
    go: 'INT32/INT_16',
    element: int('INT32', 'INT_16'),
  },
  {
    name: 'i32',
    pg: 'integer',
    kind: 'int',
    sql: ['-2147483648', '2147483647', 'null', '0', '42'],
    values: ['-2147483648', '2147483647', null, '0', '42'],
    duck: 'INTEGER',
    arrow: 'Int32',
    go: 'INT32/INT_32',
    element: int('INT32', 'INT_32'),
  },
  {
    name: 'i64',
    pg: 'bigint',
    kind: 'int',
    sql: ['-9223372036854775808', '9223372036854775807', 'null', '0', '-1'],
    values: ['-9223372036854775808', '9223372036854775807', null, '0', '-1'],
    duck: 'BIGINT',
    arrow: 'Int64',
    go: 'INT64/INT_64',
    element: int('INT64', 'INT_64'),
  },
  {
    name: 'u8',
    pg: 'smallint',
    override: 'uint8',
    kind: 'uint',
    bits: 8,
    sql: ['0', '255', 'null', '128', '1'],
    values: ['0', '255', null, '128', '1'],
    duck: 'UTINYINT',
    arrow: 'Uint8',
    go: 'INT32/UINT_8',
    element: int('INT32', 'UINT_8'),
  },
  {
    name: 'u16',
    pg: 'integer',
    override: 'uint16',
    kind: 'uint',
    bits: 16,
    sql: ['0', '65535', 'null', '32768', '1'],
    values: ['0', '65535', null, '32768', '1'],
    duck: 'USMALLINT',
    arrow: 'Uint16',
    go: 'INT32/UINT_16',
    element: int('INT32', 'UINT_16'),
  },
  {
    name: 'u32',
    pg: 'bigint',
    override: 'uint32',
    kind: 'uint',
    bits: 32,
    sql: ['0', '4294967295', 'null', '2147483648', '1'],
    values: ['0', '4294967295', null, '2147483648', '1'],
    duck: 'UINTEGER',
    arrow: 'Uint32',
    go: 'INT32/UINT_32',
    element: int('INT32', 'UINT_32'),
  },
  {
    name: 'u64',
    pg: 'numeric(20,0)',
    override: 'uint64',
    kind: 'uint',
    bits: 64,
    sql: ['0', '18446744073709551615', 'null', '9223372036854775808', '1'],
    values: ['0', '18446744073709551615', null, '9223372036854775808', '1'],
    duck: 'UBIGINT',
    arrow: 'Uint64',
    go: 'INT64/UINT_64',
    element: int('INT64', 'UINT_64'),
  },
  {
    name: 'd9',
    pg: 'numeric(9,2)',
    kind: 'decimal',
    scale: 2,
    sql: ['-9999999.99', '9999999.99', 'null', '-0.01', '0'],
    values: ['-999999999', '999999999', null, '-1', '0'],
    duck: 'DECIMAL(9,2)',
    arrow: 'Decimal[9e+2]',
    go: 'INT32/DECIMAL(9,2)',
    element: decimal('INT32', 9, 2),
  },
  {
    name: 'd18',
    pg: 'numeric(18,4)',
    kind: 'decimal',
    scale: 4,
    sql: ['-99999999999999.9999', '99999999999999.9999', 'null', '-0.0001', '12.5'],
    values: ['-999999999999999999', '999999999999999999', null, '-1', '125000'],
    duck: 'DECIMAL(18,4)',
    arrow: 'Decimal[18e+4]',
    go: 'INT64/DECIMAL(18,4)',
    element: decimal('INT64', 18, 4),
  },
  {
    name: 'd38',
    pg: 'numeric(38,10)',
    kind: 'decimal',
    scale: 10,
    sql: [
      '-9999999999999999999999999999.9999999999',
      '9999999999999999999999999999.9999999999',
      'null',
      '-1.0000000001',
      '0',
    ],
    values: [
      '-99999999999999999999999999999999999999',
      '99999999999999999999999999999999999999',
      null,
      '-10000000001',
      '0',
    ],
    duck: 'DECIMAL(38,10)',
    arrow: 'Decimal[38e+10]',
    go: 'FIXED_LEN_BYTE_ARRAY/DECIMAL(38,10)',
    element: decimal('FIXED_LEN_BYTE_ARRAY', 38, 10, 16),
  },
  // Past DuckDB's 38 digits: it reads a DOUBLE, right only from whole 8-byte words (24 here).
  {
    name: 'd50',
    pg: 'numeric(50,10)',
    kind: 'decimal',
    scale: 10,
    sql: [
      '-1234567890123456789012345678901234567890.1234567891',
      '9999999999999999999999999999999999999999.9999999999',
      'null',
      '-0.0000000001',
      '1',
    ],
    values: [
      '-12345678901234567890123456789012345678901234567891',
      String(10n ** 50n - 1n),
      null,
      '-1',
      '10000000000',
    ],
    duck: 'DOUBLE',
    arrow: 'Decimal[50e+10]',
    go: 'FIXED_LEN_BYTE_ARRAY/DECIMAL(50,10)',
    element: decimal('FIXED_LEN_BYTE_ARRAY', 50, 10, 24),
  },
  {
    name: 'f4',
    pg: 'real',
    kind: 'float',
    sql: [`'-Infinity'`, `'Infinity'`, 'null', `'NaN'`, '1.5'],
    values: ['-Infinity', 'Infinity', null, 'NaN', '1.5'],
    duck: 'FLOAT',
    arrow: 'Float32',
    go: 'FLOAT',
    element: { type: 'FLOAT', ...OPT },
  },
  {
    name: 'f8',
    pg: 'double precision',
    kind: 'float',
    sql: [`'NaN'`, `'Infinity'`, 'null', `'-Infinity'`, '-0.5'],
    values: ['NaN', 'Infinity', null, '-Infinity', '-0.5'],
    duck: 'DOUBLE',
    arrow: 'Float64',
    go: 'DOUBLE',
    element: { type: 'DOUBLE', ...OPT },
  },
  {
    name: 'b',
    pg: 'boolean',
    kind: 'bool',
    sql: ['false', 'true', 'null', 'true', 'false'],
    values: ['false', 'true', null, 'true', 'false'],
    duck: 'BOOLEAN',
    arrow: 'Bool',
    go: 'BOOLEAN',
    element: { type: 'BOOLEAN', ...OPT },
  },
  {
    name: 't',
    pg: 'text',
    kind: 'text',
    sql: [`''`, `'\uFF5E\u{1F600}'`, 'null', `'a"b\\c'`, `'h\u00e9llo'`],
    values: ['', '\uFF5E\u{1F600}', null, 'a"b\\c', 'h\u00e9llo'],
    duck: 'VARCHAR',
    arrow: 'Utf8',
    go: 'BYTE_ARRAY/UTF8',
    element: UTF8,
  },
  {
    name: 'bin',
    pg: 'bytea',
    kind: 'bytes',
    sql: [`'\\x00ff'`, `'\\x'`, 'null', `'\\xdeadbeef'`, `'\\x41'`],
    values: ['00ff', '', null, 'deadbeef', '41'],
    duck: 'BLOB',
    arrow: 'Binary',
    go: 'BYTE_ARRAY',
    element: { type: 'BYTE_ARRAY', ...OPT },
  },
  {
    name: 'u',
    pg: 'uuid',
    kind: 'uuid',
    sql: [
      `'00000000-0000-0000-0000-000000000000'`,
      `'ffffffff-ffff-ffff-ffff-ffffffffffff'`,
      'null',
      `'123e4567-e89b-12d3-a456-426614174000'`,
      `'80000000-0000-0000-0000-000000000001'`,
    ],
    values: [
      '00000000000000000000000000000000',
      'ffffffffffffffffffffffffffffffff',
      null,
      '123e4567e89b12d3a456426614174000',
      '80000000000000000000000000000001',
    ],
    duck: 'UUID',
    arrow: 'FixedSizeBinary[16]',
    go: 'FIXED_LEN_BYTE_ARRAY',
    element: { type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, ...OPT, logical_type: { type: 'UUID' } },
  },
  {
    name: 'j',
    pg: 'jsonb',
    kind: 'json',
    sql: [`'{"k":"v","n":[1,2]}'`, `'"s"'`, 'null', `'{"q":"a\\"b"}'`, `'[]'`],
    // jsonb's own text: keys sorted, a space after ':' and ','.
    values: ['{"k": "v", "n": [1, 2]}', '"s"', null, '{"q": "a\\"b"}', '[]'],
    duck: 'JSON',
    arrow: 'Utf8',
    go: 'BYTE_ARRAY/JSON',
    element: { type: 'BYTE_ARRAY', ...OPT, converted_type: 'JSON', logical_type: { type: 'JSON' } },
  },
  {
    name: 'js',
    pg: 'json',
    kind: 'json',
    sql: [`'{"b":1, "a":2}'`, `'1.5'`, 'null', `'[null,true]'`, `'{}'`],
    // json keeps its text as written.
    values: ['{"b":1, "a":2}', '1.5', null, '[null,true]', '{}'],
    duck: 'JSON',
    arrow: 'Utf8',
    go: 'BYTE_ARRAY/JSON',
    element: { type: 'BYTE_ARRAY', ...OPT, converted_type: 'JSON', logical_type: { type: 'JSON' } },
  },
  {
    name: 'dt',
    pg: 'date',
    kind: 'date',
    sql: [`'0001-01-01'`, `'9999-12-31'`, 'null', `'1969-12-31'`, `'1970-01-01'`],
    values: ['-719162', '2932896', null, '-1', '0'],
    duck: 'DATE',
    arrow: 'Date32<DAY>',
    go: 'INT32/DATE',
    element: { type: 'INT32', ...OPT, converted_type: 'DATE', logical_type: { type: 'DATE' } },
  },
  {
    name: 'tm',
    pg: 'time',
    kind: 'time',
    sql: [`'00:00:00'`, `'23:59:59.999999'`, 'null', `'12:34:56.789012'`, `'00:00:00.000001'`],
    values: ['0', String(DAY_US - 1n), null, '45296789012', '1'],
    duck: 'TIME',
    arrow: 'Time64<MICROSECOND>',
    // arrow-go derives TIME_MICROS only for UTC-adjusted times; DuckDB and arrow-rs write it too.
    go: 'INT64',
    element: {
      type: 'INT64',
      ...OPT,
      converted_type: 'TIME_MICROS',
      logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' },
    },
  },
  {
    name: 'ts',
    pg: 'timestamp',
    kind: 'ts',
    sql: [
      `'1900-01-01 00:00:00.000001'`,
      `'2262-04-11 23:47:16.854775'`,
      'null',
      `'1969-12-31 23:59:59.999999'`,
      `'2024-02-29 12:00:00'`,
    ],
    values: ['-2208988799999999', '9223372036854775', null, '-1', '1709208000000000'],
    duck: 'TIMESTAMP',
    arrow: 'Timestamp<MICROSECOND>',
    go: 'INT64',
    element: timestamp(false),
  },
  {
    name: 'tstz',
    pg: 'timestamptz',
    kind: 'ts',
    sql: [
      `'1960-06-15 12:30:00.5+00'`,
      `'2200-01-01 00:00:00+00'`,
      'null',
      `'1969-12-31 23:59:59.999999+00'`,
      `'2024-02-29 12:00:00+02'`,
    ],
    values: ['-301231799500000', '7258118400000000', null, '-1', '1709200800000000'],
    duck: 'TIMESTAMP WITH TIME ZONE',
    arrow: 'Timestamp<MICROSECOND, UTC>',
    go: 'INT64/TIMESTAMP_MICROS',
    element: timestamp(true),
  },
  {
    name: 'iv',
    pg: 'interval',
    kind: 'text',
    sql: [`'1 year 2 mons 3 days 04:05:06.7'`, `'-3 days'`, 'null', `'00:00:00.000001'`, `'0'`],
    // ISO 8601 text: Parquet's INTERVAL (what DuckDB writes) holds milliseconds, PostgreSQL micros.
    values: ['P1Y2M3DT4H5M6.7S', 'P-3D', null, 'PT0.000001S', 'PT0S'],
    duck: 'VARCHAR',
    arrow: 'Utf8',
    go: 'BYTE_ARRAY/UTF8',
    element: UTF8,
  },
  {
    name: 'li',
    pg: 'integer[]',
    kind: 'int',
    list: true,
    sql: [`'{1,null,3}'`, `'{}'`, 'null', `'{null}'`, `'{-2147483648}'`],
    values: [['1', null, '3'], [], null, [null], ['-2147483648']],
    duck: 'INTEGER[]',
    arrow: 'List<Int32>',
    go: 'INT32/INT_32',
    element: int('INT32', 'INT_32'),
  },
  {
    name: 'lt',
    pg: 'text[]',
    kind: 'text',
    list: true,
    sql: [`'{"x",null,"\u00ff"}'`, `'{}'`, 'null', `'{""}'`, `'{"a,b"}'`],
    values: [['x', null, '\u00ff'], [], null, [''], ['a,b']],
    duck: 'VARCHAR[]',
    arrow: 'List<Utf8>',
    go: 'BYTE_ARRAY/UTF8',
    element: UTF8,
  },
  {
    name: 'ld',
    pg: 'numeric(10,2)[]',
    kind: 'decimal',
    scale: 2,
    list: true,
    sql: [`'{1.50,-2.25}'`, `'{}'`, 'null', `'{null}'`, `'{-99999999.99}'`],
    values: [['150', '-225'], [], null, [null], ['-9999999999']],
    duck: 'DECIMAL(10,2)[]',
    arrow: 'List<Decimal[10e+2]>',
    go: 'INT64/DECIMAL(10,2)',
    element: decimal('INT64', 10, 2),
  },
]
const ROWS = 5
const spec = (name: string) => specs.find((s) => s.name === name)!
const TABLE = 'rivet_parquet_conformance'

/** A canonical value from what a reader gave for one (non-list) value of a column. */
type Normalize = (value: unknown, spec: Spec) => string | null

function eachValue(value: unknown, spec: Spec, normalize: Normalize): Canonical {
  if (value === null || value === undefined) return null
  if (spec.list) return Array.from(value as Iterable<unknown>, (v) => v === null ? null : normalize(v, spec))
  return normalize(value, spec)
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')

function floatText(n: number): string {
  return Object.is(n, -0) ? '-0' : String(n)
}

/** DuckDB: a SQL expression per kind giving the canonical text, evaluated over the file. */
function duckExpression(kind: Kind, x: string): string {
  switch (kind) {
    case 'decimal':
      // Unscaled: the digits without the point (the scale's digits are always printed).
      return `replace(${x}::varchar, '.', '')`
    case 'bytes':
      return `lower(hex(${x}))`
    case 'uuid':
      return `replace(${x}::varchar, '-', '')`
    case 'date':
      return `datediff('day', date '1970-01-01', ${x})::varchar`
    case 'time':
      return `datediff('microsecond', time '00:00:00', ${x})::varchar`
    case 'ts':
      return `epoch_us(${x})::varchar`
    default:
      return `${x}::varchar`
  }
}

function fromDuck(value: unknown, spec: Spec): string | null {
  const text = value as string
  if (spec.kind === 'decimal') return BigInt(text).toString()
  if (spec.kind === 'float') return ({ nan: 'NaN', inf: 'Infinity', '-inf': '-Infinity' })[text] ?? text
  return text
}

/** hyparquet, raw (readHyparquetRaw): integers, unscaled decimals and bytes as stored. */
function fromHyparquet(value: unknown, spec: Spec): string | null {
  switch (spec.kind) {
    case 'decimal':
      return unscaledDecimal(value).toString()
    case 'float':
      return floatText(value as number)
    case 'json':
      return new TextDecoder().decode(value as Uint8Array)
    case 'uuid':
      // The UUID logical type: hyparquet gives its text.
      return (value as string).replaceAll('-', '')
    case 'bytes':
      return hex(value as Uint8Array)
    default:
      return String(value)
  }
}

function fromArrowRs(value: unknown, spec: Spec): string | null {
  switch (spec.kind) {
    case 'decimal': {
      // From the little-endian 32-bit words: apache-arrow's own text of a Decimal256 is wrong.
      const words = value as Uint32Array
      let n = 0n
      for (let k = words.length - 1; k >= 0; k--) n = (n << 32n) | BigInt(words[k])
      return BigInt.asIntN(words.length * 32, n).toString()
    }
    case 'float':
      return floatText(value as number)
    case 'bytes':
    case 'uuid':
      return hex(value as Uint8Array)
    case 'date':
      // apache-arrow gives a date as milliseconds since the epoch.
      return String((value as number) / 86_400_000)
    default:
      // Times and timestamps come as bigints.
      return String(value)
  }
}

/** arrow-go prints physical values: unsigned as signed, FLBA and non-UTF8 bytes as spaced hex. */
function fromArrowGo(value: unknown, spec: Spec): string | null {
  const text = value as string
  const bytes = () => Buffer.from(text.replaceAll(' ', ''), 'hex')
  switch (spec.kind) {
    case 'uint':
      return BigInt.asUintN(spec.bits!, BigInt(text)).toString()
    case 'decimal':
      return spec.element.type === 'FIXED_LEN_BYTE_ARRAY' ? unscaledDecimal(bytes()).toString() : text
    case 'float':
      return ({ '+Inf': 'Infinity', '-Inf': '-Infinity' })[text] ?? text
    case 'bytes':
    case 'uuid':
      return bytes().toString('hex')
    case 'json':
      return bytes().toString('utf8')
    default:
      return text
  }
}

/** A column's canonical values as arrow-go's flat leaf stream: one slot per element or NULL. */
function leafStream(values: Canonical[]): (string | null)[] {
  return values.flatMap((v) => Array.isArray(v) ? (v.length ? v : [null]) : [v])
}

const runtimes: Runtime[] = ['bun', 'deno', 'binary']
const files: Partial<Record<Runtime, string>> = {}

beforeAll(async () => {
  const rows = Array.from({ length: ROWS }, (_, r) => `(${r + 1}, ${specs.map((s) => s.sql[r]).join(', ')})`)
  await pgExec(`
    set timezone = 'UTC';
    drop table if exists ${TABLE};
    create table ${TABLE} (id integer not null, ${specs.map((s) => `${s.name} ${s.pg}`).join(', ')});
    insert into ${TABLE} values ${rows.join(',\n')};
  `)
  const overrides = specs.filter((s) => s.override).map((s) => `${s.name}: ${s.override}`).join(', ')
  await Promise.all(runtimes.map(async (runtime) => {
    const dir = tempDir()
    const config = writeConfig(
      dir,
      `source: { type: postgres, url: "${PG_URL}" }\ndestination: { type: local, path: ${dir}/out }\n` +
        `exports:\n  - name: all\n    table: ${TABLE}\n    columns: { ${overrides} }\n`,
    )
    const result = await rivet(['run', '-c', config], { runtime })
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    const parts = listFiles(join(dir, 'out')).filter((f) => f.endsWith('.parquet'))
    expect(parts).toHaveLength(1)
    files[runtime] = join(dir, 'out', parts[0])
  }))
})

describe('Parquet conformance: every output type, four readers', () => {
  test('Bun, Deno and the binary write the same bytes', () => {
    const bun = readFileSync(files.bun!)
    expect(readFileSync(files.deno!).equals(bun)).toBe(true)
    expect(readFileSync(files.binary!).equals(bun)).toBe(true)
  })

  test('schema elements are what DuckDB COPY writes (plus Arrow logical types)', async () => {
    const { metadata } = await readWithHyparquet(files.bun!)
    // NOT NULL is REQUIRED (DuckDB's COPY writes every column OPTIONAL: it has no NOT NULL).
    expect(elementShape(columnElements(metadata, 'id')[0])).toEqual({
      type: 'INT32',
      repetition_type: 'REQUIRED',
      converted_type: 'INT_32',
    })
    for (const spec of specs) {
      const elements = columnElements(metadata, spec.name)
      if (spec.list) {
        // Three-level LIST with DuckDB's and Arrow's names: <name> (LIST) / list (repeated) / element.
        expect(elements.map((e) => [e.name, elementShape(e)])).toEqual([
          [spec.name, { ...OPT, converted_type: 'LIST', logical_type: { type: 'LIST' } }],
          ['list', { repetition_type: 'REPEATED' }],
          ['element', spec.element],
        ])
      } else expect([spec.name, elementShape(elements[0])]).toEqual([spec.name, spec.element])
    }
  })

  test('DuckDB: DESCRIBE types, values, and JSON operators', async () => {
    const file = files.bun!
    expect(await duckTypes(file)).toEqual({
      id: 'INTEGER',
      ...Object.fromEntries(specs.map((s) => [s.name, s.duck])),
    })
    const select = specs.map((s) =>
      s.list
        ? `list_transform(${s.name}, e -> ${duckExpression(s.kind, 'e')}) as ${s.name}`
        : `${duckExpression(s.kind, s.name)} as ${s.name}`
    )
    const rows = await duck(`select ${select.join(', ')} from read_parquet('${file}') order by id`)
    for (const spec of specs.filter((s) => s.duck !== 'DOUBLE' || s.kind === 'float')) {
      expect([spec.name, rows.map((r) => eachValue(r[spec.name], spec, fromDuck))]).toEqual([
        spec.name,
        spec.values,
      ])
    }
    // A decimal DuckDB reads as DOUBLE: the nearest double, to its last bit or so.
    const wide = await duck(`select d50 from read_parquet('${file}') order by id`)
    wide.forEach((r, i) => {
      const exact = spec('d50').values[i] as string | null
      const want = exact === null ? null : Number(decimalText(BigInt(exact), 10))
      const got = r.d50 as number | null
      expect([i, got === null ? null : Math.abs(got / want! - 1) < 1e-15]).toEqual([
        i,
        want === null ? null : true,
      ])
    })
    // What users met: JSON read as BLOB, `->>` failing and \x22 escapes.
    const json = await duck(
      `select j->>'k' as k, j->'n'->>1 as n, json_type(js) as t, j::varchar as text from read_parquet('${file}') where id = 1`,
    )
    expect(json).toEqual([{ k: 'v', n: '2', t: 'OBJECT', text: '{"k": "v", "n": [1, 2]}' }])
  })

  test('hyparquet: decoded types and exact values', async () => {
    const { rows } = await readWithHyparquet(files.bun!)
    const first = rows[0]
    // Logical types as hyparquet decodes them: JSON parsed, dates and timestamps as Dates, UUID text.
    expect(first.j).toEqual({ k: 'v', n: [1, 2] })
    expect(rows[1].js).toBe(1.5)
    expect(first.u).toBe('00000000-0000-0000-0000-000000000000')
    expect((first.dt as Date).toISOString()).toBe('0001-01-01T00:00:00.000Z')
    expect(rows[4].ts).toEqual(new Date('2024-02-29T12:00:00Z'))
    expect(rows[4].tstz).toEqual(new Date('2024-02-29T10:00:00Z'))
    expect(first.tm).toBe(0n)
    expect(rows[1].u64).toBe(18446744073709551615n)
    expect(rows[1].u32).toBe(4294967295)
    expect(first.i64).toBe(-9223372036854775808n)
    expect(first.d9).toBe(-9999999.99)
    expect(first.li).toEqual([1, null, 3])
    expect(first.t).toBe('')
    // Unannotated BYTE_ARRAY (bytea; DuckDB writes BLOB the same) is text to hyparquet by default.
    expect(first.bin).toBe('\u0000\ufffd')

    const raw = await readHyparquetRaw(files.bun!)
    for (const spec of specs) {
      expect([spec.name, raw.map((r) => eachValue(r[spec.name], spec, fromHyparquet))]).toEqual([
        spec.name,
        spec.values,
      ])
    }
  })

  test('Apache Arrow Go (parquet_reader): types and values', () => {
    const file = files.bun!
    const types = arrowGoTypes(file)
    expect(types).toEqual({
      id: 'INT32/INT_32',
      ...Object.fromEntries(specs.map((s) => [s.list ? `${s.name}.list.element` : s.name, s.go])),
    })
    specs.forEach((spec, i) => {
      const stream = arrowGoColumn(file, i + 1).map((v) => v === null ? null : fromArrowGo(v, spec))
      expect([spec.name, stream]).toEqual([spec.name, leafStream(spec.values)])
    })
  })

  test('arrow-rs (parquet-wasm): Arrow types and values', () => {
    const table = readWithArrowRs(files.bun!)
    expect(arrowTypes(table)).toEqual({
      id: 'Int32',
      ...Object.fromEntries(specs.map((s) => [s.name, s.arrow])),
    })
    expect(table.schema.fields.map((f) => f.nullable)).toEqual([false, ...specs.map(() => true)])
    for (const spec of specs) {
      const values = arrowColumn(table, spec.name).map((v) => eachValue(v, spec, fromArrowRs))
      expect([spec.name, values]).toEqual([spec.name, spec.values])
    }
  })
})

describe('Parquet conformance: MariaDB', () => {
  test('JSON and BIGINT UNSIGNED read as JSON and UBIGINT by DuckDB and arrow-rs', async () => {
    await mysqlExec(`
      drop table if exists rivet_parquet_json;
      create table rivet_parquet_json (id int primary key, j json, u bigint unsigned);
      insert into rivet_parquet_json values (1, '{"k": "v"}', 18446744073709551615), (2, null, 0);
    `)
    const dir = tempDir()
    const config = writeConfig(
      dir,
      `source: { type: mysql, url: "${MYSQL_URL}" }\ndestination: { type: local, path: ${dir}/out }\n` +
        `exports:\n  - name: m\n    query: select * from rivet_parquet_json order by id\n`,
    )
    const result = await rivet(['run', '-c', config])
    expect(result.code).toBe(0)
    const file = join(dir, 'out', listFiles(join(dir, 'out')).find((f) => f.endsWith('.parquet'))!)
    expect(await duckTypes(file)).toEqual({ id: 'INTEGER', j: 'JSON', u: 'UBIGINT' })
    expect(await duck(`select j->>'k' as k, u::varchar as u from read_parquet('${file}') order by id`))
      .toEqual([
        { k: 'v', u: '18446744073709551615' },
        { k: null, u: '0' },
      ])
    const table = readWithArrowRs(file)
    expect(arrowTypes(table)).toEqual({ id: 'Int32', j: 'Utf8', u: 'Uint64' })
    expect(arrowColumn(table, 'j')).toEqual(['{"k": "v"}', null])
    expect(arrowGoTypes(file)).toEqual({ id: 'INT32/INT_32', j: 'BYTE_ARRAY/JSON', u: 'INT64/UINT_64' })
  })
})
