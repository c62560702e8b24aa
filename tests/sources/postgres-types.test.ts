/**
 * The PostgreSQL type matrix, end to end through the CLI: one table with a column for every
 * PostgreSQL row of the design's type table, exported to Parquet (every codec) and CSV (every
 * compression), read back by hyparquet and DuckDB and compared with literal expected values:
 * decimals as text, temporal values as exact integers, bytes as hex. Then the values and types
 * that must stop a run (exit 3, column named, nothing left in the destination).
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import type { FileMetaData } from 'hyparquet'
import { join } from 'node:path'
import { rivet } from '../helpers/cli.ts'
import { listFiles, tempDir } from '../helpers/files.ts'
import {
  checkMatrixParquet,
  type ColumnSpec,
  decimalShape,
  FOOTER,
  localExports,
  matrixCsv,
  type Neutral,
  readCsv,
  type TypeMatrix,
  withNulls,
} from '../helpers/matrix.ts'
import {
  columnElements,
  decimalText,
  duck,
  duckTypes,
  elementShape,
  footerCodecs,
  readHyparquetRaw,
  readWithHyparquet,
  unscaledDecimal,
} from '../helpers/parquet.ts'
import { PG_URL, pgExec } from '../helpers/pg.ts'

const SCHEMA = 'rivet_types_matrix'
const MATRIX = `${SCHEMA}.matrix`
const SLOW = 120_000

// Non-ASCII text is spelled with escapes in the SQL: Bun's transpiler rewrites non-ASCII
// characters in a String.raw template into \u escapes, which would then reach the database.
beforeAll(async () => {
  await pgExec(String.raw`
    drop schema if exists rivet_types_matrix cascade;
    create schema rivet_types_matrix;
    create type rivet_types_matrix.mood as enum ('happy', 'sad', 'so-so, "ok"');
    create table rivet_types_matrix.matrix (
      id int4 not null,
      c_int2 int2, c_int4 int4, c_int8 int8,
      c_num5_2 numeric(5,2), c_num18_4 numeric(18,4), c_num38_10 numeric(38,10), c_num30 numeric(30,0),
      c_money money, c_real real, c_float8 float8, c_bool bool,
      c_text text, c_varchar varchar(10), c_char char(5), c_enum rivet_types_matrix.mood,
      c_bytea bytea, c_uuid uuid, c_json json, c_jsonb jsonb,
      c_date date, c_time time, c_ts timestamp, c_tstz timestamptz, c_interval interval,
      c_int4_arr int4[], c_text_arr text[], c_num_arr numeric(10,2)[], c_tstz_arr timestamptz[],
      c_bytea_arr bytea[], c_uuid_arr uuid[],
      c_req text not null
    );
    insert into rivet_types_matrix.matrix values
    (1, 1, 2, 3, 123.45, 12345678901234.5678, 1234567890123456789012345678.0123456789,
     123456789012345678901234567890, '1234.56', 1.5, 0.1, true, 'hello', 'varchar', 'ab', 'happy',
     '\xdeadbeef', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{"a": 1,  "b": [true, null]}',
     '{"b": [true, null], "a": 1}', '2024-02-29', '12:34:56.789012', '2024-02-29 12:34:56.789012',
     '2024-02-29 12:34:56.789012+05:30', '1 year 2 mons 3 days 04:05:06.789', '{1,2,3}',
     '{"a \"quoted\" one","with,comma",NULL,"NULL",""}', '{1.10,-2.25}',
     '{"2024-01-01 00:00:00+02","1969-12-31 23:59:59.999999+00"}', '{"\\xdead",NULL,"\\x"}',
     '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,NULL}', 'req1'),
    (2, -32768, -2147483648, -9223372036854775808, -999.99, -99999999999999.9999,
     -9999999999999999999999999999.9999999999, -999999999999999999999999999999,
     '-92233720368547758.08', 'NaN', 'NaN', false, '', '', '', 'sad', '\x',
     '00000000-0000-0000-0000-000000000000', '"s"', '[]', '1969-12-31', '00:00:00',
     '1969-12-31 23:59:59.999999', '1900-01-01 00:00:00.000001-08', '-1 days -00:00:01',
     '{}', '{}', '{}', '{}', '{}', '{}', ''),
    (3, 32767, 2147483647, 9223372036854775807, 999.99, 99999999999999.9999, 0.0000000001,
     1000000000000000000, '92233720368547758.07', 'Infinity', 'Infinity', null, E'line1\r\nline2,"q"',
     'ten chars!', 'abcde', 'so-so, "ok"', '\x00ff80c3286e', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
     'null', '{"k": "\u00fc \u00e9"}', '2100-06-15', '24:00:00', '2100-06-15 23:59:59.999999',
     '2262-04-11 23:47:16.854775+00', 'P0D', '{NULL,-2147483648}', '{NULL}', '{NULL,0.00}', '{NULL}',
     '{NULL}', '{NULL}', 'x'),
    (4, 0, 0, 0, 0, 0, 0, 0, '0', '-Infinity', '-Infinity', true, E'\u00fc\u20ac\U0001F600', null, null, null, null, null,
     null, null, '0001-01-01 BC', '23:59:59.999999', '0001-01-01 00:00:00 BC',
     '4713-11-24 00:00:00+00 BC', null, null, null, null, null, null, null, 'y'),
    (5, null, null, null, null, null, null, null, null, '-0', '-0', null, null, null, null, null, null,
     null, null, null, null, null, null, null, null, null, null, null, null, null, null, 'z'),
    (6, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
     null, null, null, null, null, null, null, null, null, null, null, null, null, null, 'all null');

    create table rivet_types_matrix.free_num (id int, n numeric, a numeric[]);
    insert into rivet_types_matrix.free_num values
      (1, 123.456789, '{1.5,-2}'), (2, -0.000000001, '{}'),
      (3, 12345678901234567890123456789.123456789, '{NULL}'), (4, null, null);
    create table rivet_types_matrix.nan_num (id int, n numeric(10,2));
    insert into rivet_types_matrix.nan_num values (1, 1.25), (2, 'NaN');
    create table rivet_types_matrix.inf_date (id int, d date);
    insert into rivet_types_matrix.inf_date values (1, '2020-01-01'), (2, 'infinity');
    create table rivet_types_matrix.inf_ts (id int, t timestamptz);
    insert into rivet_types_matrix.inf_ts values (1, '2020-01-01 00:00:00+00'), (2, '-infinity');
    create table rivet_types_matrix.far_ts (id int, t timestamp);
    insert into rivet_types_matrix.far_ts values (1, '294276-12-31 23:59:59.999999');
    create table rivet_types_matrix.md_array (id int, a int4[]);
    insert into rivet_types_matrix.md_array values (1, '{1,2}'), (2, '{{1,2},{3,4}}');
    -- Enough rows that parts are written before the bad value arrives.
    create table rivet_types_matrix.late_bad as
      select i as id, date '2020-01-01' + (i % 1000) as d, repeat('x', 100) as pad
        from generate_series(1, 30000) i;
    insert into rivet_types_matrix.late_bad values (30001, 'infinity', '');
    create table rivet_types_matrix.many (id int, num numeric(20,5), arr int4[], txt text[], js jsonb, ts timestamptz);
    insert into rivet_types_matrix.many
      select i as id,
             case when i % 11 = 0 then null else (i * 1234567.89123 - 5e9)::numeric(20,5) end as num,
             case when i % 13 = 0 then null else array[i, -i, null]::int4[] end as arr,
             array['t' || i, case when i % 2 = 0 then null else 'q"' || i end] as txt,
             case when i % 7 = 0 then null else jsonb_build_object('i', i) end as js,
             timestamptz '1960-01-01 00:00:00.000001+00' + i * interval '1 hour 1.000001 second' as ts
        from generate_series(1, 25000) i;
    create table rivet_types_matrix.parent (id int not null);
    create table rivet_types_matrix.child (id int not null, label text not null);
    insert into rivet_types_matrix.parent values (1), (2);
    insert into rivet_types_matrix.child values (1, 'one');
  `)
})

// ---------------------------------------------------------------------------------------------
// Expected values, in the neutral form of tests/helpers/matrix.ts. A key left out is NULL.

const COLUMNS: ColumnSpec[] = [
  { name: 'id', kind: 'int' },
  { name: 'c_int2', kind: 'int' },
  { name: 'c_int4', kind: 'int' },
  { name: 'c_int8', kind: 'int' },
  { name: 'c_num5_2', kind: 'dec', scale: 2 },
  { name: 'c_num18_4', kind: 'dec', scale: 4 },
  { name: 'c_num38_10', kind: 'dec', scale: 10 },
  { name: 'c_num30', kind: 'dec', scale: 0 },
  { name: 'c_money', kind: 'dec', scale: 2 },
  { name: 'c_real', kind: 'float' },
  { name: 'c_float8', kind: 'float' },
  { name: 'c_bool', kind: 'bool' },
  { name: 'c_text', kind: 'str' },
  { name: 'c_varchar', kind: 'str' },
  { name: 'c_char', kind: 'str' },
  { name: 'c_enum', kind: 'str' },
  { name: 'c_bytea', kind: 'bytes' },
  { name: 'c_uuid', kind: 'uuid' },
  { name: 'c_json', kind: 'json' },
  { name: 'c_jsonb', kind: 'json' },
  { name: 'c_date', kind: 'date' },
  { name: 'c_time', kind: 'time' },
  { name: 'c_ts', kind: 'ts' },
  { name: 'c_tstz', kind: 'ts' },
  { name: 'c_interval', kind: 'str' },
  { name: 'c_int4_arr', kind: 'int', list: true },
  { name: 'c_text_arr', kind: 'str', list: true },
  { name: 'c_num_arr', kind: 'dec', scale: 2, list: true },
  { name: 'c_tstz_arr', kind: 'ts', list: true },
  { name: 'c_bytea_arr', kind: 'bytes', list: true },
  { name: 'c_uuid_arr', kind: 'uuid', list: true },
  { name: 'c_req', kind: 'str' },
]

const EXPECTED: Record<string, Neutral>[] = [
  {
    id: '1',
    c_int2: '1',
    c_int4: '2',
    c_int8: '3',
    c_num5_2: '123.45',
    c_num18_4: '12345678901234.5678',
    c_num38_10: '1234567890123456789012345678.0123456789',
    c_num30: '123456789012345678901234567890',
    c_money: '1234.56',
    c_real: '1.5',
    c_float8: '0.1',
    c_bool: true,
    c_text: 'hello',
    c_varchar: 'varchar',
    c_char: 'ab   ',
    c_enum: 'happy',
    c_bytea: 'deadbeef',
    c_uuid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    c_json: '{"a": 1,  "b": [true, null]}',
    c_jsonb: '{"a": 1, "b": [true, null]}',
    c_date: '19782', // 2024-02-29
    c_time: '45296789012', // 12:34:56.789012
    c_ts: '1709210096789012', // 2024-02-29 12:34:56.789012
    c_tstz: '1709190296789012', // 2024-02-29 07:04:56.789012Z (inserted at +05:30)
    c_interval: 'P1Y2M3DT4H5M6.789S',
    c_int4_arr: ['1', '2', '3'],
    c_text_arr: ['a "quoted" one', 'with,comma', null, 'NULL', ''],
    c_num_arr: ['1.10', '-2.25'],
    c_tstz_arr: ['1704060000000000', '-1'], // 2023-12-31 22:00Z, 1969-12-31 23:59:59.999999Z
    c_bytea_arr: ['dead', null, ''],
    c_uuid_arr: ['a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', null],
    c_req: 'req1',
  },
  {
    id: '2',
    c_int2: '-32768',
    c_int4: '-2147483648',
    c_int8: '-9223372036854775808',
    c_num5_2: '-999.99',
    c_num18_4: '-99999999999999.9999',
    c_num38_10: '-9999999999999999999999999999.9999999999',
    c_num30: '-999999999999999999999999999999',
    c_money: '-92233720368547758.08',
    c_real: 'NaN',
    c_float8: 'NaN',
    c_bool: false,
    c_text: '',
    c_varchar: '',
    c_char: '     ',
    c_enum: 'sad',
    c_bytea: '',
    c_uuid: '00000000-0000-0000-0000-000000000000',
    c_json: '"s"',
    c_jsonb: '[]',
    c_date: '-1', // 1969-12-31
    c_time: '0',
    c_ts: '-1', // 1969-12-31 23:59:59.999999
    c_tstz: '-2208959999999999', // 1900-01-01 08:00:00.000001Z (inserted at -08)
    c_interval: 'P-1DT-1S',
    c_int4_arr: [],
    c_text_arr: [],
    c_num_arr: [],
    c_tstz_arr: [],
    c_bytea_arr: [],
    c_uuid_arr: [],
    c_req: '',
  },
  {
    id: '3',
    c_int2: '32767',
    c_int4: '2147483647',
    c_int8: '9223372036854775807',
    c_num5_2: '999.99',
    c_num18_4: '99999999999999.9999',
    c_num38_10: '0.0000000001',
    c_num30: '1000000000000000000',
    c_money: '92233720368547758.07',
    c_real: 'Infinity',
    c_float8: 'Infinity',
    c_text: 'line1\r\nline2,"q"',
    c_varchar: 'ten chars!',
    c_char: 'abcde',
    c_enum: 'so-so, "ok"',
    c_bytea: '00ff80c3286e',
    c_uuid: 'ffffffff-ffff-ffff-ffff-ffffffffffff',
    c_json: 'null',
    c_jsonb: '{"k": "ü é"}',
    c_date: '47647', // 2100-06-15
    c_time: '86400000000', // 24:00:00
    c_ts: '4116787199999999', // 2100-06-15 23:59:59.999999
    c_tstz: '9223372036854775', // 2262-04-11 23:47:16.854775Z
    c_interval: 'PT0S',
    c_int4_arr: [null, '-2147483648'],
    c_text_arr: [null],
    c_num_arr: [null, '0.00'],
    c_tstz_arr: [null],
    c_bytea_arr: [null],
    c_uuid_arr: [null],
    c_req: 'x',
  },
  {
    id: '4',
    c_int2: '0',
    c_int4: '0',
    c_int8: '0',
    c_num5_2: '0.00',
    c_num18_4: '0.0000',
    c_num38_10: '0.0000000000',
    c_num30: '0',
    c_money: '0.00',
    c_real: '-Infinity',
    c_float8: '-Infinity',
    c_bool: true,
    c_text: 'ü€😀',
    c_date: '-719528', // 0001-01-01 BC, proleptic year 0
    c_time: '86399999999',
    c_ts: '-62167219200000000', // 0001-01-01 00:00:00 BC
    c_tstz: '-210835180800000000', // 4713-11-24 00:00:00Z BC
    c_req: 'y',
  },
  { id: '5', c_real: '-0', c_float8: '-0', c_req: 'z' },
  { id: '6', c_req: 'all null' },
]

const expectedRows = withNulls(COLUMNS, EXPECTED)

/** The CSV rivet must write for the matrix, field by field, exactly as the bytes appear. */
const EXPECTED_CSV = matrixCsv(COLUMNS, [
  [
    '1,1,2,3,123.45,12345678901234.5678,1234567890123456789012345678.0123456789',
    '123456789012345678901234567890,1234.56,1.5,0.1,true,hello,varchar,ab   ,happy,deadbeef',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,"{""a"": 1,  ""b"": [true, null]}","{""a"": 1, ""b"": [true, null]}"',
    '2024-02-29,12:34:56.789012,2024-02-29T12:34:56.789012,2024-02-29T07:04:56.789012Z,P1Y2M3DT4H5M6.789S',
    '"[1,2,3]","[""a \\""quoted\\"" one"",""with,comma"",null,""NULL"",""""]","[1.10,-2.25]"',
    '"[""2023-12-31T22:00:00.000000Z"",""1969-12-31T23:59:59.999999Z""]","[""dead"",null,""""]"',
    '"[""a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"",null]",req1',
  ],
  [
    '2,-32768,-2147483648,-9223372036854775808,-999.99,-99999999999999.9999',
    '-9999999999999999999999999999.9999999999,-999999999999999999999999999999,-92233720368547758.08',
    'NaN,NaN,false,"","",     ,sad,"",00000000-0000-0000-0000-000000000000,"""s""",[]',
    '1969-12-31,00:00:00.000000,1969-12-31T23:59:59.999999,1900-01-01T08:00:00.000001Z,P-1DT-1S',
    '[],[],[],[],[],[],""',
  ],
  [
    '3,32767,2147483647,9223372036854775807,999.99,99999999999999.9999,0.0000000001',
    '1000000000000000000,92233720368547758.07,Infinity,Infinity,,"line1\r\nline2,""q""",ten chars!,abcde',
    '"so-so, ""ok""",00ff80c3286e,ffffffff-ffff-ffff-ffff-ffffffffffff,null,"{""k"": ""ü é""}"',
    '2100-06-15,24:00:00.000000,2100-06-15T23:59:59.999999,2262-04-11T23:47:16.854775Z,PT0S',
    '"[null,-2147483648]",[null],"[null,0.00]",[null],[null],[null],x',
  ],
  [
    '4,0,0,0,0.00,0.0000,0.0000000000,0,0.00,-Infinity,-Infinity,true,ü€😀,,,,,,,',
    '0000-01-01,23:59:59.999999,0000-01-01T00:00:00.000000,-004712-11-24T00:00:00.000000Z',
    ',,,,,,,y',
  ],
  '5,,,,,,,,,-0,-0,,,,,,,,,,,,,,,,,,,,,z',
  '6,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,all null',
])

// ---------------------------------------------------------------------------------------------
// Running exports.

const { config, exportOne, exportFails } = localExports({
  source: `source:\n  type: postgres\n  url: ${PG_URL}\n`,
})

const matrixTable = `    table: ${MATRIX}\n`
const matrixQuery = `    query: select * from ${MATRIX} order by id\n`

// ---------------------------------------------------------------------------------------------
// What both readers must see.

const EXPECTED_DUCK_TYPES = {
  id: 'INTEGER',
  c_int2: 'SMALLINT',
  c_int4: 'INTEGER',
  c_int8: 'BIGINT',
  c_num5_2: 'DECIMAL(5,2)',
  c_num18_4: 'DECIMAL(18,4)',
  c_num38_10: 'DECIMAL(38,10)',
  c_num30: 'DECIMAL(30,0)',
  c_money: 'DECIMAL(19,2)',
  c_real: 'FLOAT',
  c_float8: 'DOUBLE',
  c_bool: 'BOOLEAN',
  c_text: 'VARCHAR',
  c_varchar: 'VARCHAR',
  c_char: 'VARCHAR',
  c_enum: 'VARCHAR',
  c_bytea: 'BLOB',
  c_uuid: 'UUID',
  c_json: 'JSON',
  c_jsonb: 'JSON',
  c_date: 'DATE',
  c_time: 'TIME',
  c_ts: 'TIMESTAMP',
  c_tstz: 'TIMESTAMP WITH TIME ZONE',
  c_interval: 'VARCHAR',
  c_int4_arr: 'INTEGER[]',
  c_text_arr: 'VARCHAR[]',
  c_num_arr: 'DECIMAL(10,2)[]',
  c_tstz_arr: 'TIMESTAMP WITH TIME ZONE[]',
  c_bytea_arr: 'BLOB[]',
  c_uuid_arr: 'UUID[]',
  c_req: 'VARCHAR',
}

const PG_MATRIX: TypeMatrix = { columns: COLUMNS, rows: expectedRows, duckTypes: EXPECTED_DUCK_TYPES }

// ---------------------------------------------------------------------------------------------

describe('postgres type matrix: parquet', () => {
  let zstdFile: string
  let metadata: FileMetaData

  beforeAll(async () => {
    zstdFile = await exportOne('matrix', `${matrixTable}    format: parquet\n    compression: zstd\n`)
    metadata = (await readWithHyparquet(zstdFile)).metadata
  }, SLOW)

  test('values read back exactly with hyparquet and DuckDB', async () => {
    await checkMatrixParquet(zstdFile, PG_MATRIX)
  }, SLOW)

  test('hyparquet default conversions agree where they are exact', async () => {
    const { rows } = await readWithHyparquet(zstdFile)
    rows.sort((a, b) => (a.id as number) - (b.id as number))
    expect(rows.map((r) => [r.c_int2, r.c_int8, r.c_bool, r.c_text, r.c_uuid, r.c_interval])).toEqual([
      [1, 3n, true, 'hello', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'P1Y2M3DT4H5M6.789S'],
      [-32768, -9223372036854775808n, false, '', '00000000-0000-0000-0000-000000000000', 'P-1DT-1S'],
      [
        32767,
        9223372036854775807n,
        null,
        'line1\r\nline2,"q"',
        'ffffffff-ffff-ffff-ffff-ffffffffffff',
        'PT0S',
      ],
      [0, 0n, true, 'ü€😀', null, null],
      [null, null, null, null, null, null],
      [null, null, null, null, null, null],
    ])
    expect(rows.map((r) => [r.c_real, r.c_float8])).toEqual([
      [1.5, 0.1],
      [NaN, NaN],
      [Infinity, Infinity],
      [-Infinity, -Infinity],
      [-0, -0],
      [null, null],
    ])
    expect(Object.is(rows[4].c_float8, -0)).toBe(true)
  }, SLOW)

  test('footer: physical, converted and logical types', () => {
    const col = (name: string) => columnElements(metadata, name).map(elementShape)
    expect(col('id')).toEqual([{ type: 'INT32', repetition_type: 'REQUIRED', converted_type: 'INT_32' }])
    expect(col('c_int2')).toEqual([{ type: 'INT32', repetition_type: 'OPTIONAL', converted_type: 'INT_16' }])
    expect(col('c_int8')).toEqual([{ type: 'INT64', repetition_type: 'OPTIONAL', converted_type: 'INT_64' }])
    expect(col('c_num5_2')).toEqual([decimalShape('INT32', 5, 2)])
    expect(col('c_num18_4')).toEqual([decimalShape('INT64', 18, 4)])
    expect(col('c_num38_10')).toEqual([decimalShape('FIXED_LEN_BYTE_ARRAY', 38, 10, 16)])
    expect(col('c_num30')).toEqual([decimalShape('FIXED_LEN_BYTE_ARRAY', 30, 0, 13)])
    expect(col('c_money')).toEqual([decimalShape('FIXED_LEN_BYTE_ARRAY', 19, 2, 9)])
    expect(col('c_real')).toEqual([{ type: 'FLOAT', repetition_type: 'OPTIONAL' }])
    expect(col('c_float8')).toEqual([{ type: 'DOUBLE', repetition_type: 'OPTIONAL' }])
    expect(col('c_bool')).toEqual([{ type: 'BOOLEAN', repetition_type: 'OPTIONAL' }])
    for (const name of ['c_text', 'c_varchar', 'c_char', 'c_enum', 'c_interval']) {
      expect(col(name)).toEqual([FOOTER.string])
    }
    expect(col('c_req')).toEqual([{ ...FOOTER.string, repetition_type: 'REQUIRED' }])
    expect(col('c_bytea')).toEqual([{ type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' }])
    expect(col('c_uuid')).toEqual([FOOTER.uuid])
    expect(col('c_json')).toEqual([FOOTER.json])
    expect(col('c_jsonb')).toEqual([FOOTER.json])
    expect(col('c_date')).toEqual([FOOTER.date])
    expect(col('c_time')).toEqual([FOOTER.time])
    expect(col('c_ts')).toEqual([FOOTER.timestamp])
    expect(col('c_tstz')).toEqual([FOOTER.timestamptz])
    const list = (element: Record<string, unknown>) => [
      { repetition_type: 'OPTIONAL', converted_type: 'LIST', logical_type: { type: 'LIST' } },
      { repetition_type: 'REPEATED' },
      element,
    ]
    expect(col('c_int4_arr')).toEqual(
      list({ type: 'INT32', repetition_type: 'OPTIONAL', converted_type: 'INT_32' }),
    )
    expect(col('c_text_arr')).toEqual(list(FOOTER.string))
    expect(col('c_num_arr')).toEqual(list(decimalShape('INT64', 10, 2)))
    expect(col('c_tstz_arr')).toEqual(list(FOOTER.timestamptz))
    expect(col('c_bytea_arr')).toEqual(list({ type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' }))
    expect(col('c_uuid_arr')).toEqual(list(FOOTER.uuid))
    expect(columnElements(metadata, 'c_int4_arr').map((e) => e.name)).toEqual([
      'c_int4_arr',
      'list',
      'element',
    ])
    expect(metadata.num_rows).toBe(6n)
  })

  test('every column chunk carries the zstd codec', () => {
    expect(footerCodecs(metadata)).toEqual(['ZSTD'])
  })

  for (const [compression, codec] of [['snappy', 'SNAPPY'], ['gzip', 'GZIP'], ['none', 'UNCOMPRESSED']]) {
    test(`compression ${compression}: same values, codec in the footer`, async () => {
      const file = await exportOne(`matrix_${compression}`, `${matrixTable}    compression: ${compression}\n`)
      const footer = await checkMatrixParquet(file, PG_MATRIX)
      expect(footerCodecs(footer)).toEqual([codec])
    }, SLOW)
  }
})

describe('postgres type matrix: csv', () => {
  test('the text is exact: header, NULL vs "", CRLF, quoting, decimals, ISO timestamps', async () => {
    const file = await exportOne('matrix_csv', `${matrixQuery}    format: csv\n`)
    expect(file.endsWith('.csv')).toBe(true)
    expect(readCsv(file)).toBe(EXPECTED_CSV)
  }, SLOW)

  for (const [compression, ext] of [['gzip', 'csv.gz'], ['zstd', 'csv.zst']]) {
    test(`compression ${compression}: same bytes once decompressed, DuckDB reads it`, async () => {
      const file = await exportOne(
        `matrix_csv_${compression}`,
        `${matrixQuery}    format: csv\n    compression: ${compression}\n`,
      )
      expect(file.endsWith(`.${ext}`)).toBe(true)
      expect(readCsv(file)).toBe(EXPECTED_CSV)
      const rows = await duck(
        `select id, c_text, c_char, c_num38_10, c_int8, c_tstz, c_json from read_csv('${file}', all_varchar = true,
           allow_quoted_nulls = false) order by id::int`,
      )
      expect(rows).toHaveLength(6)
      expect(rows.slice(0, 4)).toEqual([
        {
          id: '1',
          c_text: 'hello',
          c_char: 'ab   ',
          c_num38_10: '1234567890123456789012345678.0123456789',
          c_int8: '3',
          c_tstz: '2024-02-29T07:04:56.789012Z',
          c_json: '{"a": 1,  "b": [true, null]}',
        },
        {
          id: '2',
          c_text: '',
          c_char: '     ',
          c_num38_10: '-9999999999999999999999999999.9999999999',
          c_int8: '-9223372036854775808',
          c_tstz: '1900-01-01T08:00:00.000001Z',
          c_json: '"s"',
        },
        {
          id: '3',
          c_text: 'line1\r\nline2,"q"',
          c_char: 'abcde',
          c_num38_10: '0.0000000001',
          c_int8: '9223372036854775807',
          c_tstz: '2262-04-11T23:47:16.854775Z',
          c_json: 'null',
        },
        {
          id: '4',
          c_text: 'ü€😀',
          c_char: null,
          c_num38_10: '0.0000000000',
          c_int8: '0',
          c_tstz: '-004712-11-24T00:00:00.000000Z',
          c_json: null,
        },
      ])
    }, SLOW)
  }
})

describe('postgres types: many rows', () => {
  test('lists, decimals, JSON and timestamps survive batches, row groups and parts', async () => {
    const dir = tempDir()
    const settings =
      `    query: select * from ${SCHEMA}.many order by id\n    row_group_size: 7000\n    max_file_size: 150KB\n`
    const result = await rivet(['run', '-c', config(dir, `  - name: many\n${settings}`)])
    expect(result.code).toBe(0)
    const parts = listFiles(join(dir, 'out', 'many')).filter((f) => f.endsWith('.parquet'))
    expect(parts.length).toBeGreaterThan(1)
    let rows = 0
    for (const part of parts) rows += (await readWithHyparquet(join(dir, 'out', 'many', part))).rows.length
    expect(rows).toBe(25000)
    // The expected values are what PostgreSQL computes over the same table:
    //   sum(num)::text, count(num), sum(cardinality(arr)), count(arr),
    //   sum(extract(epoch from ts) * 1000000), md5(string_agg(array_to_string(txt, '|', '~') ...)),
    //   md5(string_agg(js::text ...)), NULLs spelled N.
    const [agg] = await duck(`
      select sum(num)::varchar as num, count(num)::int as nums, sum(len(arr))::int as elements,
             count(arr)::int as arrays, sum(epoch_us(ts))::varchar as micros,
             md5(string_agg(coalesce(array_to_string(list_transform(txt, x -> coalesce(x, '~')), '|'), 'N'), ','
               order by id)) as txt,
             md5(string_agg(coalesce(js::varchar, 'N'), ',' order by id)) as js
        from read_parquet('${join(dir, 'out', 'many')}/*.parquet')`)
    expect(agg).toEqual({
      num: '237111962589710.06316',
      nums: 22728,
      elements: 69231,
      arrays: 23077,
      micros: '-6765122487187462500',
      txt: '69fe2daf37a7638fc389f00568991f0f',
      js: 'f34e0aea39da03551dea82a7ea2fd4e9',
    })
  }, SLOW)
})

describe('postgres type matrix: deno', () => {
  test('the same exports under Deno give the same values and the same CSV text', async () => {
    await checkMatrixParquet(await exportOne('matrix', matrixTable, 'deno'), PG_MATRIX)
    const csv = await exportOne('matrix_csv', `${matrixQuery}    format: csv\n`, 'deno')
    expect(readCsv(csv)).toBe(EXPECTED_CSV)
  }, SLOW)
})

describe('postgres types: overrides and NOT NULL', () => {
  const freeNum = `    query: select id, n from ${SCHEMA}.free_num order by id\n`

  for (const format of ['parquet', 'csv']) {
    test(
      `numeric without precision fails the ${format} run, naming the column and the override`,
      async () => {
        const msg = await exportFails('free', `${freeNum}    format: ${format}\n`)
        expect(msg).toContain('column "n" (numeric)')
        expect(msg).toContain('columns: { n: "decimal(38,9)" }')
      },
      SLOW,
    )
  }

  test('numeric without precision with a decimal(38,9) override is exact', async () => {
    const parquet = await exportOne('free', `${freeNum}    columns: { n: "decimal(38,9)" }\n`)
    expect((await duckTypes(parquet)).n).toBe('DECIMAL(38,9)')
    expect(await duck(`select n::varchar as n from read_parquet('${parquet}') order by id`)).toEqual([
      { n: '123.456789000' },
      { n: '-0.000000001' },
      { n: '12345678901234567890123456789.123456789' },
      { n: null },
    ])
    const raw = await readHyparquetRaw(parquet)
    expect(raw.map((r) => r.n === null ? null : decimalText(unscaledDecimal(r.n), 9))).toEqual([
      '123.456789000',
      '-0.000000001',
      '12345678901234567890123456789.123456789',
      null,
    ])
    const csv = await exportOne('free', `${freeNum}    format: csv\n    columns: { n: "decimal(38,9)" }\n`)
    expect(readCsv(csv)).toBe(
      'id,n\r\n1,123.456789000\r\n2,-0.000000001\r\n3,12345678901234567890123456789.123456789\r\n4,\r\n',
    )
  }, SLOW)

  test('numeric without precision with a string override keeps the text', async () => {
    const parquet = await exportOne('free', `${freeNum}    columns: { n: string }\n`)
    expect((await duckTypes(parquet)).n).toBe('VARCHAR')
    expect((await readWithHyparquet(parquet)).rows.map((r) => r.n)).toEqual([
      '123.456789',
      '-0.000000001',
      '12345678901234567890123456789.123456789',
      null,
    ])
    const csv = await exportOne('free', `${freeNum}    format: csv\n    columns: { n: string }\n`)
    expect(readCsv(csv)).toBe(
      'id,n\r\n1,123.456789\r\n2,-0.000000001\r\n3,12345678901234567890123456789.123456789\r\n4,\r\n',
    )
  }, SLOW)

  test('numeric[] without precision names the list override, which then works', async () => {
    const query = `    query: select id, a from ${SCHEMA}.free_num order by id\n`
    const msg = await exportFails('free', query)
    expect(msg).toContain('columns: { a: "list<decimal(38,9)>" }')
    const parquet = await exportOne('free', `${query}    columns: { a: "list<decimal(38,9)>" }\n`)
    expect((await duckTypes(parquet)).a).toBe('DECIMAL(38,9)[]')
    expect(await duck(`select a::varchar[] as a from read_parquet('${parquet}') order by id`)).toEqual([
      { a: ['1.500000000', '-2.000000000'] },
      { a: [] },
      { a: [null] },
      { a: null },
    ])
  }, SLOW)

  test('more fractional digits than the override scale fail, naming the column', async () => {
    const msg = await exportFails('free', `${freeNum}    columns: { n: "decimal(38,6)" }\n`)
    expect(msg).toContain('column "n"')
    expect(msg).toContain('-0.000000001 has more than 6 decimal places')
  }, SLOW)

  test('numeric NaN has no decimal value and fails, naming the column', async () => {
    const msg = await exportFails('nan', `    table: ${SCHEMA}.nan_num\n`)
    expect(msg).toContain('column "n" (numeric(10,2) -> decimal(10,2))')
    expect(msg).toContain('"NaN" is not a decimal number')
  }, SLOW)

  for (const format of ['parquet', 'csv']) {
    test(`infinity dates and timestamps fail the ${format} run, naming the column`, async () => {
      const date = await exportFails('inf', `    table: ${SCHEMA}.inf_date\n    format: ${format}\n`)
      expect(date).toContain('column "d" (date -> date): infinity is an unbounded date')
      const ts = await exportFails('inf', `    table: ${SCHEMA}.inf_ts\n    format: ${format}\n`)
      expect(ts).toContain(
        'column "t" (timestamp with time zone -> timestamptz): -infinity is an unbounded timestamp',
      )
    }, SLOW)

    test(`a multi-dimensional array fails the ${format} run`, async () => {
      const msg = await exportFails('md', `    table: ${SCHEMA}.md_array\n    format: ${format}\n`)
      expect(msg).toContain(
        'column "a" (integer[] -> list<int32>): multi-dimensional arrays are not supported',
      )
    }, SLOW)

    test(`a timestamp past the 64-bit microsecond range fails the ${format} run`, async () => {
      const msg = await exportFails('far', `    table: ${SCHEMA}.far_ts\n    format: ${format}\n`)
      expect(msg).toContain(
        'column "t" (timestamp without time zone -> timestamp): 294276-12-31 23:59:59.999999',
      )
    }, SLOW)

    test(`a bad value after parts were written leaves nothing behind (${format})`, async () => {
      const msg = await exportFails(
        'late',
        `    query: select * from ${SCHEMA}.late_bad order by id\n    format: ${format}\n` +
          `    max_file_size: 16KB\n    row_group_size: 2000\n`,
      )
      expect(msg).toContain('column "d" (date -> date): infinity')
    }, SLOW)
  }

  test('a NOT NULL column behind an outer join stays OPTIONAL and keeps its NULL', async () => {
    const file = await exportOne(
      'outer',
      `    query: select p.id, c.label from ${SCHEMA}.parent p left join ${SCHEMA}.child c on c.id = p.id order by p.id\n`,
    )
    const { metadata, rows } = await readWithHyparquet(file)
    expect(metadata.schema.slice(1).map((e) => [e.name, e.repetition_type])).toEqual([
      ['id', 'OPTIONAL'],
      ['label', 'OPTIONAL'],
    ])
    expect(rows).toEqual([{ id: 1, label: 'one' }, { id: 2, label: null }])
  }, SLOW)
})
