/**
 * The MySQL/MariaDB type matrix, end to end through the CLI against the real MariaDB on
 * 127.0.0.1:3306: one utf8mb4 table with a column for every MySQL row of the design's type
 * table, exported to Parquet (zstd) and CSV, read back by hyparquet and DuckDB and compared with
 * literal expected values: decimals as text, temporal values as exact integers, bytes as hex.
 * Then `rivet check`, the values that must stop a run (zero dates, TIME beyond a day) and their
 * overrides, and a 200k-row table that must stream in bounded memory.
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
import { MYSQL_URL, mysqlExec } from '../helpers/mysql.ts'
import {
  decimalText,
  duck,
  duckTypes,
  footerCodecs,
  readHyparquetRaw,
  readWithHyparquet,
  schemaShape,
  unscaledDecimal,
} from '../helpers/parquet.ts'

const TABLE = 'rivet_mysql_matrix'
const SLOW = 120_000
const BIG_ROWS = 200_000

const ones = (n: number) => `b'${'1'.repeat(n)}'`
const highBit64 = `b'1${'0'.repeat(63)}'`

// Row 1: minimums, row 2: maximums, row 3: zeros and the smallest steps, row 4: text and
// ordinary values, row 5: NULL everywhere it can be, rows 6 and 7: float corner cases.
// TIMESTAMP values are inserted by a session at +05:30, so each is 5:30 ahead of its UTC instant.
const MATRIX_SQL = `
  drop table if exists ${TABLE};
  create table ${TABLE} (
    id int not null,
    c_tiny tinyint, c_utiny tinyint unsigned, c_small smallint, c_usmall smallint unsigned,
    c_medium mediumint, c_umedium mediumint unsigned, c_int int, c_uint int unsigned,
    c_big bigint, c_ubig bigint unsigned,
    c_dec5_2 decimal(5,2), c_dec18_4 decimal(18,4), c_dec38_10 decimal(38,10), c_dec65_30 decimal(65,30),
    c_udec decimal(10,2) unsigned,
    c_float float, c_double double,
    c_bit1 bit(1), c_bool boolean, c_bit12 bit(12), c_bit64 bit(64), c_year year,
    c_char char(5), c_varchar varchar(50), c_text text, c_mtext mediumtext,
    c_enum enum('happy', 'sad', 'so-so, "ok"'), c_set set('a', 'b', 'c'), c_json json,
    c_binary binary(4), c_varbinary varbinary(10), c_blob blob, c_uuid uuid,
    c_date date, c_time time(6), c_datetime datetime(6), c_ts timestamp(6) null,
    c_req varchar(10) not null
  ) default charset utf8mb4;
  insert into ${TABLE} values
  (1, -128, 0, -32768, 0, -8388608, 0, -2147483648, 0, -9223372036854775808, 0,
   -999.99, -99999999999999.9999, -9999999999999999999999999999.9999999999,
   -99999999999999999999999999999999999.999999999999999999999999999999, 0.00,
   -3.4028234e38, -1.7976931348623157e308, b'0', false, b'0', b'0', 1901,
   '', '', '', '', 'happy', '', '[]', x'00000000', x'', x'', '00000000-0000-0000-0000-000000000000',
   '1000-01-01', '00:00:00', '1000-01-01 00:00:00', '1970-01-01 05:30:01', 'min'),
  (2, 127, 255, 32767, 65535, 8388607, 16777215, 2147483647, 4294967295, 9223372036854775807,
   18446744073709551615, 999.99, 99999999999999.9999, 9999999999999999999999999999.9999999999,
   99999999999999999999999999999999999.999999999999999999999999999999, 99999999.99,
   3.4028234e38, 1.7976931348623157e308, b'1', true, ${ones(12)}, ${ones(64)}, 2155,
   'abcde', 'say "hi", it''s ok', 'line1\r\nline2,"q"', 'tab\there', 'so-so, "ok"', 'a,b,c',
   '{"a": 1,  "b": [true, null]}', x'ffffffff', x'deadbeef', x'00ff80c328',
   'ffffffff-ffff-ffff-ffff-ffffffffffff', '9999-12-31', '23:59:59.999999',
   '9999-12-31 23:59:59.999999', '2038-01-19 08:44:07.999999', 'max'),
  (3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9223372036854775808, 0.01, 0.0001, 0.0000000001,
   0.000000000000000000000000000001, 0.01, 0.1, 0.1, b'0', 0, b'101', ${highBit64}, 0,
   'a', '0', 'NULL', ' ', 'sad', 'a', '"s"', 'ab', x'c328', x'00',
   'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '1970-01-01', '00:00:00.000001',
   '1969-12-31 23:59:59.999999', '2024-02-29 12:34:56.789012', 'zero'),
  (4, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 123.45, 12345678901234.5678, 1234567890123456789012345678.0123456789,
   12345678901234567890123456789012345.123456789012345678901234567890, 12345678.90,
   0.1234567, 1e308, b'1', 1, b'000000000001', b'1', 2024,
   '\u00e9\u{1F600}', 'caf\u00e9, "na\u00efve"', 'emoji \u{1F600} and\nnewline', '\u00fc\u20ac\u{1F600}',
   'so-so, "ok"', 'b,c', '{"k": "\u00fc \u00e9 \u{1F600}"}', x'80818283', x'ff', x'fffe00',
   'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A12', '2024-02-29', '12:34:56.789012',
   '2024-02-29 12:34:56.789012', '2001-09-09 07:16:40', 'text'),
  (5, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
   null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
   null, null, null, null, null, null, 'all null'),
  (6, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
   16777217, 0.30000000000000004, null, null, null, null, null, null, null, null, null, null, null,
   null, null, null, null, null, null, null, null, null, 'floats'),
  (7, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null,
   1.17549435e-38, 5e-324, null, null, null, null, null, null, null, null, null, null, null,
   null, null, null, null, null, null, null, null, null, 'tiny');
`

const EDGE_SQL = `
  set session sql_mode = '';
  drop table if exists rivet_mysql_zero;
  create table rivet_mysql_zero (id int not null, d date, dt datetime, ts timestamp null);
  insert into rivet_mysql_zero values
    (1, '2024-01-02', '2024-01-02 03:04:05', '2024-01-02 03:04:05'),
    (2, '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00'),
    (3, '2024-02-00', '2024-00-00 10:00:00', null),
    (4, null, null, null);
  drop table if exists rivet_mysql_time;
  create table rivet_mysql_time (id int not null, t time);
  insert into rivet_mysql_time values (1, '12:00:00'), (2, '-838:59:59'), (3, '838:59:59'), (4, null);
  drop table if exists rivet_mysql_tinybool;
  create table rivet_mysql_tinybool (id int not null, b tinyint(1));
  insert into rivet_mysql_tinybool values (1, 1), (2, 0), (3, 2), (4, -1);
  drop table if exists rivet_mysql_late;
  create table rivet_mysql_late (id int not null primary key, d date, pad varchar(200));
  insert into rivet_mysql_late
    select seq, if(seq = 5000, '0000-00-00', date'2020-01-01' + interval seq % 1000 day), repeat('x', 150)
      from seq_1_to_200000;
`

const BIG_SQL = `
  drop table if exists rivet_mysql_big;
  create table rivet_mysql_big (
    id int not null primary key, amount decimal(20,5), label varchar(100), happened datetime(6), ratio double
  ) default charset utf8mb4;
  insert into rivet_mysql_big
    select seq, if(seq % 11 = 0, null, seq * 1234567.89123 - 5000000000),
           concat('row ', seq, ' ', repeat('x', seq % 50)),
           timestamp'1960-01-01 00:00:00.000001' + interval seq * 3601000001 microsecond,
           seq / 7e0
      from seq_1_to_${BIG_ROWS};
`

beforeAll(async () => {
  await mysqlExec(MATRIX_SQL, { timeZone: '+05:30' })
  await mysqlExec(EDGE_SQL)
  await mysqlExec(BIG_SQL)
}, SLOW)

// ---------------------------------------------------------------------------------------------
// Expected values, in the neutral form of tests/helpers/matrix.ts (floats: the JS text of the
// stored value). A key left out is NULL.

const COLUMNS: ColumnSpec[] = [
  { name: 'id', kind: 'int' },
  { name: 'c_tiny', kind: 'int' },
  { name: 'c_utiny', kind: 'int' },
  { name: 'c_small', kind: 'int' },
  { name: 'c_usmall', kind: 'int' },
  { name: 'c_medium', kind: 'int' },
  { name: 'c_umedium', kind: 'int' },
  { name: 'c_int', kind: 'int' },
  { name: 'c_uint', kind: 'int' },
  { name: 'c_big', kind: 'int' },
  { name: 'c_ubig', kind: 'int' },
  { name: 'c_dec5_2', kind: 'dec', scale: 2 },
  { name: 'c_dec18_4', kind: 'dec', scale: 4 },
  { name: 'c_dec38_10', kind: 'dec', scale: 10 },
  { name: 'c_dec65_30', kind: 'dec', scale: 30 },
  { name: 'c_udec', kind: 'dec', scale: 2 },
  { name: 'c_float', kind: 'float' },
  { name: 'c_double', kind: 'float' },
  { name: 'c_bit1', kind: 'bool' },
  { name: 'c_bool', kind: 'bool' },
  { name: 'c_bit12', kind: 'int' },
  { name: 'c_bit64', kind: 'int' },
  { name: 'c_year', kind: 'int' },
  { name: 'c_char', kind: 'str' },
  { name: 'c_varchar', kind: 'str' },
  { name: 'c_text', kind: 'str' },
  { name: 'c_mtext', kind: 'str' },
  { name: 'c_enum', kind: 'str' },
  { name: 'c_set', kind: 'str' },
  { name: 'c_json', kind: 'json' },
  { name: 'c_binary', kind: 'bytes' },
  { name: 'c_varbinary', kind: 'bytes' },
  { name: 'c_blob', kind: 'bytes' },
  { name: 'c_uuid', kind: 'uuid' },
  { name: 'c_date', kind: 'date' },
  { name: 'c_time', kind: 'time' },
  { name: 'c_datetime', kind: 'ts' },
  { name: 'c_ts', kind: 'ts' },
  { name: 'c_req', kind: 'str' },
]

/** The JS text of a FLOAT column's stored single-precision value. */
const f32 = (x: number) => String(Math.fround(x))

const EXPECTED: Record<string, Neutral>[] = [
  {
    id: '1',
    c_tiny: '-128',
    c_utiny: '0',
    c_small: '-32768',
    c_usmall: '0',
    c_medium: '-8388608',
    c_umedium: '0',
    c_int: '-2147483648',
    c_uint: '0',
    c_big: '-9223372036854775808',
    c_ubig: '0',
    c_dec5_2: '-999.99',
    c_dec18_4: '-99999999999999.9999',
    c_dec38_10: '-9999999999999999999999999999.9999999999',
    c_dec65_30: '-99999999999999999999999999999999999.999999999999999999999999999999',
    c_udec: '0.00',
    c_float: '-3.4028234663852886e+38', // FLT_MAX
    c_double: '-1.7976931348623157e+308',
    c_bit1: false,
    c_bool: false,
    c_bit12: '0',
    c_bit64: '0',
    c_year: '1901',
    c_char: '',
    c_varchar: '',
    c_text: '',
    c_mtext: '',
    c_enum: 'happy',
    c_set: '',
    c_json: '[]',
    c_binary: '00000000',
    c_varbinary: '',
    c_blob: '',
    c_uuid: '00000000-0000-0000-0000-000000000000',
    c_date: '-354285', // 1000-01-01
    c_time: '0',
    c_datetime: '-30610224000000000', // 1000-01-01 00:00:00
    c_ts: '1000000', // 1970-01-01 00:00:01Z
    c_req: 'min',
  },
  {
    id: '2',
    c_tiny: '127',
    c_utiny: '255',
    c_small: '32767',
    c_usmall: '65535',
    c_medium: '8388607',
    c_umedium: '16777215',
    c_int: '2147483647',
    c_uint: '4294967295',
    c_big: '9223372036854775807',
    c_ubig: '18446744073709551615',
    c_dec5_2: '999.99',
    c_dec18_4: '99999999999999.9999',
    c_dec38_10: '9999999999999999999999999999.9999999999',
    c_dec65_30: '99999999999999999999999999999999999.999999999999999999999999999999',
    c_udec: '99999999.99',
    c_float: '3.4028234663852886e+38',
    c_double: '1.7976931348623157e+308',
    c_bit1: true,
    c_bool: true,
    c_bit12: '4095',
    c_bit64: '18446744073709551615',
    c_year: '2155',
    c_char: 'abcde',
    c_varchar: `say "hi", it's ok`,
    c_text: 'line1\r\nline2,"q"',
    c_mtext: 'tab\there',
    c_enum: 'so-so, "ok"',
    c_set: 'a,b,c',
    c_json: '{"a": 1,  "b": [true, null]}',
    c_binary: 'ffffffff',
    c_varbinary: 'deadbeef',
    c_blob: '00ff80c328',
    c_uuid: 'ffffffff-ffff-ffff-ffff-ffffffffffff',
    c_date: '2932896', // 9999-12-31
    c_time: '86399999999', // 23:59:59.999999
    c_datetime: '253402300799999999', // 9999-12-31 23:59:59.999999
    c_ts: '2147483647999999', // 2038-01-19 03:14:07.999999Z
    c_req: 'max',
  },
  {
    id: '3',
    c_tiny: '0',
    c_utiny: '0',
    c_small: '0',
    c_usmall: '0',
    c_medium: '0',
    c_umedium: '0',
    c_int: '0',
    c_uint: '0',
    c_big: '0',
    c_ubig: '9223372036854775808', // just past int64
    c_dec5_2: '0.01',
    c_dec18_4: '0.0001',
    c_dec38_10: '0.0000000001',
    c_dec65_30: '0.000000000000000000000000000001',
    c_udec: '0.01',
    c_float: f32(0.1),
    c_double: '0.1',
    c_bit1: false,
    c_bool: false,
    c_bit12: '5',
    c_bit64: '9223372036854775808',
    c_year: '0',
    c_char: 'a',
    c_varchar: '0',
    c_text: 'NULL',
    c_mtext: ' ',
    c_enum: 'sad',
    c_set: 'a',
    c_json: '"s"',
    c_binary: '61620000', // 'ab' padded with zero bytes
    c_varbinary: 'c328', // not UTF-8
    c_blob: '00',
    c_uuid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
    c_date: '0',
    c_time: '1',
    c_datetime: '-1', // 1969-12-31 23:59:59.999999
    c_ts: '1709190296789012', // 2024-02-29 07:04:56.789012Z (inserted at +05:30)
    c_req: 'zero',
  },
  {
    id: '4',
    c_tiny: '1',
    c_utiny: '1',
    c_small: '1',
    c_usmall: '1',
    c_medium: '1',
    c_umedium: '1',
    c_int: '1',
    c_uint: '1',
    c_big: '1',
    c_ubig: '1',
    c_dec5_2: '123.45',
    c_dec18_4: '12345678901234.5678',
    c_dec38_10: '1234567890123456789012345678.0123456789',
    c_dec65_30: '12345678901234567890123456789012345.123456789012345678901234567890',
    c_udec: '12345678.90',
    c_float: f32(0.1234567),
    c_double: '1e+308',
    c_bit1: true,
    c_bool: true,
    c_bit12: '1',
    c_bit64: '1',
    c_year: '2024',
    c_char: '\u00e9\u{1F600}',
    c_varchar: 'caf\u00e9, "na\u00efve"',
    c_text: 'emoji \u{1F600} and\nnewline',
    c_mtext: '\u00fc\u20ac\u{1F600}',
    c_enum: 'so-so, "ok"',
    c_set: 'b,c',
    c_json: '{"k": "\u00fc \u00e9 \u{1F600}"}',
    c_binary: '80818283',
    c_varbinary: 'ff',
    c_blob: 'fffe00',
    c_uuid: 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12',
    c_date: '19782', // 2024-02-29
    c_time: '45296789012', // 12:34:56.789012
    c_datetime: '1709210096789012', // 2024-02-29 12:34:56.789012
    c_ts: '1000000000000000', // 2001-09-09 01:46:40Z
    c_req: 'text',
  },
  { id: '5', c_req: 'all null' },
  { id: '6', c_float: '16777216', c_double: '0.30000000000000004', c_req: 'floats' },
  { id: '7', c_float: f32(1.17549435e-38), c_double: '5e-324', c_req: 'tiny' },
]

const expectedRows = withNulls(COLUMNS, EXPECTED)

/** The CSV rivet must write for the matrix, exactly as the bytes appear. */
const EXPECTED_CSV = matrixCsv(COLUMNS, [
  [
    '1,-128,0,-32768,0,-8388608,0,-2147483648,0,-9223372036854775808,0,-999.99,-99999999999999.9999',
    '-9999999999999999999999999999.9999999999',
    '-99999999999999999999999999999999999.999999999999999999999999999999,0.00',
    '-3.4028235e+38,-1.7976931348623157e+308,false,false,0,0,1901,"","","","",happy,"",[],00000000,"",""',
    '00000000-0000-0000-0000-000000000000,1000-01-01,00:00:00.000000,1000-01-01T00:00:00.000000',
    '1970-01-01T00:00:01.000000Z,min',
  ],
  [
    '2,127,255,32767,65535,8388607,16777215,2147483647,4294967295,9223372036854775807',
    '18446744073709551615,999.99,99999999999999.9999,9999999999999999999999999999.9999999999',
    '99999999999999999999999999999999999.999999999999999999999999999999,99999999.99',
    '3.4028235e+38,1.7976931348623157e+308,true,true,4095,18446744073709551615,2155,abcde',
    `"say ""hi"", it's ok","line1\r\nline2,""q""",tab\there,"so-so, ""ok""","a,b,c"`,
    '"{""a"": 1,  ""b"": [true, null]}",ffffffff,deadbeef,00ff80c328,ffffffff-ffff-ffff-ffff-ffffffffffff',
    '9999-12-31,23:59:59.999999,9999-12-31T23:59:59.999999,2038-01-19T03:14:07.999999Z,max',
  ],
  [
    '3,0,0,0,0,0,0,0,0,0,9223372036854775808,0.01,0.0001,0.0000000001,0.000000000000000000000000000001',
    '0.01,0.1,0.1,false,false,5,9223372036854775808,0,a,0,NULL, ,sad,a,"""s""",61620000,c328,00',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,1970-01-01,00:00:00.000001,1969-12-31T23:59:59.999999',
    '2024-02-29T07:04:56.789012Z,zero',
  ],
  [
    '4,1,1,1,1,1,1,1,1,1,1,123.45,12345678901234.5678,1234567890123456789012345678.0123456789',
    '12345678901234567890123456789012345.123456789012345678901234567890,12345678.90,0.1234567,1e+308',
    'true,true,1,1,2024,\u00e9\u{1F600},"caf\u00e9, ""na\u00efve""","emoji \u{1F600} and\nnewline"',
    '\u00fc\u20ac\u{1F600},"so-so, ""ok""","b,c","{""k"": ""\u00fc \u00e9 \u{1F600}""}",80818283,ff,fffe00',
    'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a12,2024-02-29,12:34:56.789012,2024-02-29T12:34:56.789012',
    '2001-09-09T01:46:40.000000Z,text',
  ],
  '5' + ','.repeat(COLUMNS.length - 1) + 'all null',
  '6' + ','.repeat(16) + '16777216,0.30000000000000004' + ','.repeat(COLUMNS.length - 18) + 'floats',
  '7' + ','.repeat(16) + '1.1754944e-38,5e-324' + ','.repeat(COLUMNS.length - 18) + 'tiny',
])

// ---------------------------------------------------------------------------------------------
// Running exports.

const { config, exportOne, exportFails } = localExports({
  source: `source: { type: mysql, url: ${MYSQL_URL} }\n`,
})

const matrixQuery = `    query: select * from ${TABLE} order by id\n`

// ---------------------------------------------------------------------------------------------
// What both readers must see.

const EXPECTED_DUCK_TYPES = {
  id: 'INTEGER',
  c_tiny: 'TINYINT',
  c_utiny: 'UTINYINT',
  c_small: 'SMALLINT',
  c_usmall: 'USMALLINT',
  c_medium: 'INTEGER',
  c_umedium: 'UINTEGER',
  c_int: 'INTEGER',
  c_uint: 'UINTEGER',
  c_big: 'BIGINT',
  c_ubig: 'UBIGINT',
  c_dec5_2: 'DECIMAL(5,2)',
  c_dec18_4: 'DECIMAL(18,4)',
  c_dec38_10: 'DECIMAL(38,10)',
  c_dec65_30: 'DOUBLE',
  c_udec: 'DECIMAL(10,2)',
  c_float: 'FLOAT',
  c_double: 'DOUBLE',
  c_bit1: 'BOOLEAN',
  c_bool: 'BOOLEAN',
  c_bit12: 'USMALLINT',
  c_bit64: 'UBIGINT',
  c_year: 'SMALLINT',
  c_char: 'VARCHAR',
  c_varchar: 'VARCHAR',
  c_text: 'VARCHAR',
  c_mtext: 'VARCHAR',
  c_enum: 'VARCHAR',
  c_set: 'VARCHAR',
  c_json: 'JSON',
  c_binary: 'BLOB',
  c_varbinary: 'BLOB',
  c_blob: 'BLOB',
  c_uuid: 'UUID',
  c_date: 'DATE',
  c_time: 'TIME',
  c_datetime: 'TIMESTAMP',
  c_ts: 'TIMESTAMP WITH TIME ZONE',
  c_req: 'VARCHAR',
}

const MYSQL_MATRIX: TypeMatrix = {
  columns: COLUMNS,
  rows: expectedRows,
  duckTypes: EXPECTED_DUCK_TYPES,
  // DuckDB reads DECIMAL beyond 38 digits as DOUBLE, so that column is compared on its own.
  duckInexact: ['c_dec65_30'],
}

// ---------------------------------------------------------------------------------------------

describe('mysql type matrix: parquet', () => {
  let file: string
  let metadata: FileMetaData

  beforeAll(async () => {
    file = await exportOne('matrix', `    table: ${TABLE}\n    format: parquet\n    compression: zstd\n`)
    metadata = (await readWithHyparquet(file)).metadata
  }, SLOW)

  test('values read back exactly with hyparquet and DuckDB', async () => {
    await checkMatrixParquet(file, MYSQL_MATRIX)
  }, SLOW)

  test(
    'DuckDB reads decimal(65,30) as DOUBLE (beyond its 38 digits); the file holds it exactly',
    async () => {
      expect((await duckTypes(file)).c_dec65_30).toBe('DOUBLE')
      const rows = await duck(`select c_dec65_30 as v from read_parquet('${file}') order by id`)
      // DuckDB 1.5 turns a FIXED_LEN_BYTE_ARRAY decimal whose length is not a multiple of 8 into
      // a double 2^32 too large at 28 bytes (duckdb/duckdb PR 25058): rivet writes 32.
      const nearest = [-1e35, 1e35, 1e-30, 1.2345678901234568e34]
      rows.slice(0, 4).forEach((r, i) => {
        expect(Math.abs((r.v as number) / nearest[i] - 1) < 1e-12).toBe(true)
      })
      expect(rows.slice(4).map((r) => r.v)).toEqual([null, null, null])
      const raw = (await readHyparquetRaw(file)).sort((a, b) => Number(a.id) - Number(b.id))
      expect(raw[1].c_dec65_30).toBeInstanceOf(Uint8Array)
      expect(decimalText(unscaledDecimal(raw[1].c_dec65_30), 30)).toBe(
        '99999999999999999999999999999999999.999999999999999999999999999999',
      )
    },
    SLOW,
  )

  test('hyparquet default conversions: UINT_64 as bigint, floats as stored', async () => {
    const { rows } = await readWithHyparquet(file)
    rows.sort((a, b) => (a.id as number) - (b.id as number))
    expect(rows.map((r) => r.c_ubig)).toEqual([
      0n,
      18446744073709551615n,
      9223372036854775808n,
      1n,
      null,
      null,
      null,
    ])
    expect(rows.map((r) => r.c_uint)).toEqual([0, 4294967295, 0, 1, null, null, null])
    expect(rows.map((r) => r.c_float)).toEqual([
      -3.4028234663852886e+38,
      3.4028234663852886e+38,
      Math.fround(0.1),
      Math.fround(0.1234567),
      null,
      16777216,
      Math.fround(1.17549435e-38),
    ])
    expect(rows.map((r) => r.c_text)).toEqual([
      '',
      'line1\r\nline2,"q"',
      'NULL',
      'emoji \u{1F600} and\nnewline',
      null,
      null,
      null,
    ])
  }, SLOW)

  test('DuckDB: bigint unsigned max is an exact UBIGINT', async () => {
    const rows = await duck(
      `select c_ubig, c_ubig = 18446744073709551615::ubigint as is_max, typeof(c_ubig) as t
         from read_parquet('${file}') where id = 2`,
    )
    expect(rows).toEqual([{ c_ubig: '18446744073709551615', is_max: true, t: 'UBIGINT' }])
  }, SLOW)

  test('footer: physical, converted and logical types', () => {
    const col = (name: string) => schemaShape(metadata, name)
    const int = (type: string, converted: string, repetition = 'OPTIONAL') => ({
      type,
      repetition_type: repetition,
      converted_type: converted,
    })
    expect(col('id')).toEqual(int('INT32', 'INT_32', 'REQUIRED'))
    expect(col('c_tiny')).toEqual(int('INT32', 'INT_8'))
    expect(col('c_utiny')).toEqual(int('INT32', 'UINT_8'))
    expect(col('c_small')).toEqual(int('INT32', 'INT_16'))
    expect(col('c_usmall')).toEqual(int('INT32', 'UINT_16'))
    expect(col('c_medium')).toEqual(int('INT32', 'INT_32'))
    expect(col('c_umedium')).toEqual(int('INT32', 'UINT_32'))
    expect(col('c_int')).toEqual(int('INT32', 'INT_32'))
    expect(col('c_uint')).toEqual(int('INT32', 'UINT_32'))
    expect(col('c_big')).toEqual(int('INT64', 'INT_64'))
    expect(col('c_ubig')).toEqual(int('INT64', 'UINT_64'))
    expect(col('c_bit12')).toEqual(int('INT32', 'UINT_16'))
    expect(col('c_bit64')).toEqual(int('INT64', 'UINT_64'))
    expect(col('c_year')).toEqual(int('INT32', 'INT_16'))
    expect(col('c_dec5_2')).toEqual(decimalShape('INT32', 5, 2))
    expect(col('c_dec18_4')).toEqual(decimalShape('INT64', 18, 4))
    expect(col('c_dec38_10')).toEqual(decimalShape('FIXED_LEN_BYTE_ARRAY', 38, 10, 16))
    // 28 bytes hold 65 digits; past 38 digits rivet writes whole 8-byte words for DuckDB.
    expect(col('c_dec65_30')).toEqual(decimalShape('FIXED_LEN_BYTE_ARRAY', 65, 30, 32))
    expect(col('c_udec')).toEqual(decimalShape('INT64', 10, 2))
    expect(col('c_float')).toEqual({ type: 'FLOAT', repetition_type: 'OPTIONAL' })
    expect(col('c_double')).toEqual({ type: 'DOUBLE', repetition_type: 'OPTIONAL' })
    expect(col('c_bit1')).toEqual({ type: 'BOOLEAN', repetition_type: 'OPTIONAL' })
    expect(col('c_bool')).toEqual({ type: 'BOOLEAN', repetition_type: 'OPTIONAL' })
    for (const name of ['c_char', 'c_varchar', 'c_text', 'c_mtext', 'c_enum', 'c_set']) {
      expect(col(name)).toEqual(FOOTER.string)
    }
    expect(col('c_req')).toEqual({ ...FOOTER.string, repetition_type: 'REQUIRED' })
    expect(col('c_json')).toEqual(FOOTER.json)
    for (const name of ['c_binary', 'c_varbinary', 'c_blob']) {
      expect(col(name)).toEqual({ type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' })
    }
    expect(col('c_uuid')).toEqual(FOOTER.uuid)
    expect(col('c_date')).toEqual(FOOTER.date)
    expect(col('c_time')).toEqual(FOOTER.time)
    expect(col('c_datetime')).toEqual(FOOTER.timestamp)
    expect(col('c_ts')).toEqual(FOOTER.timestamptz)
    expect(metadata.num_rows).toBe(BigInt(EXPECTED.length))
    expect(footerCodecs(metadata)).toEqual(['ZSTD'])
  })
})

describe('mysql type matrix: csv', () => {
  test('the text is exact: NULL vs "", CRLF, quoting, decimals, shortest floats, ISO times', async () => {
    const file = await exportOne('matrix_csv', `${matrixQuery}    format: csv\n`)
    expect(readCsv(file)).toBe(EXPECTED_CSV)
  }, SLOW)
})

describe('mysql session time zone', () => {
  test('the export session runs at +00:00 whatever the server default, so TIMESTAMP is UTC', async () => {
    const csv = await exportOne(
      'tz',
      `    query: select @@session.time_zone as tz, cast(now() = utc_timestamp() as char) as same\n    format: csv\n`,
    )
    expect(readCsv(csv)).toBe('tz,same\r\n+00:00,1\r\n')
  }, SLOW)
})

describe('mysql type matrix: deno', () => {
  test('the same exports under Deno give the same values and the same CSV text', async () => {
    await checkMatrixParquet(await exportOne('matrix', `    table: ${TABLE}\n`, 'deno'), MYSQL_MATRIX)
    const csv = await exportOne('matrix_csv', `${matrixQuery}    format: csv\n`, 'deno')
    expect(readCsv(csv)).toBe(EXPECTED_CSV)
  }, SLOW)
})

describe('mysql check', () => {
  test('check --json: source type, output type and fidelity per column; writes nothing', async () => {
    const dir = tempDir()
    const result = await rivet([
      'check',
      '-c',
      config(dir, `  - name: matrix\n    table: ${TABLE}\n`),
      '--json',
    ])
    expect(result.code).toBe(0)
    const doc = JSON.parse(result.stdout)
    expect(doc.status).toBe('succeeded')
    const [report] = doc.exports
    expect(report.query).toBe(`select * from \`${TABLE}\``)
    expect(report.estimated_rows).toBeGreaterThan(0)
    const columns = report.columns.map((c: Record<string, unknown>) =>
      `${c.name}: ${c.source_type} -> ${c.output_type} ${c.fidelity}${c.nullable ? '' : ' not null'}`
    )
    expect(columns).toEqual([
      'id: int -> int32 exact not null',
      'c_tiny: tinyint -> int8 exact',
      'c_utiny: tinyint unsigned -> uint8 exact',
      'c_small: smallint -> int16 exact',
      'c_usmall: smallint unsigned -> uint16 exact',
      'c_medium: mediumint -> int32 exact',
      'c_umedium: mediumint unsigned -> uint32 exact',
      'c_int: int -> int32 exact',
      'c_uint: int unsigned -> uint32 exact',
      'c_big: bigint -> int64 exact',
      'c_ubig: bigint unsigned -> uint64 exact',
      'c_dec5_2: decimal(5,2) -> decimal(5,2) exact',
      'c_dec18_4: decimal(18,4) -> decimal(18,4) exact',
      'c_dec38_10: decimal(38,10) -> decimal(38,10) exact',
      'c_dec65_30: decimal(65,30) -> decimal(65,30) exact',
      'c_udec: decimal(10,2) unsigned -> decimal(10,2) exact',
      'c_float: float -> float32 exact',
      'c_double: double -> float64 exact',
      'c_bit1: bit(1) -> bool exact',
      'c_bool: tinyint(1) -> bool exact',
      'c_bit12: bit(12) -> uint16 exact',
      'c_bit64: bit(64) -> uint64 exact',
      'c_year: year -> int16 exact',
      'c_char: char -> string exact',
      'c_varchar: varchar -> string exact',
      'c_text: text -> string exact',
      'c_mtext: text -> string exact',
      'c_enum: enum -> string exact',
      'c_set: set -> string exact',
      'c_json: json -> json exact',
      'c_binary: binary -> bytes exact',
      'c_varbinary: varbinary -> bytes exact',
      'c_blob: blob -> bytes exact',
      'c_uuid: uuid -> uuid exact',
      'c_date: date -> date exact',
      'c_time: time -> time exact',
      'c_datetime: datetime -> timestamp exact',
      'c_ts: timestamp -> timestamptz exact',
      'c_req: varchar -> string exact not null',
    ])
    expect(listFiles(dir)).toEqual(['rivet.yaml'])
  }, SLOW)
})

describe('mysql edge values', () => {
  const zero = `    query: select * from rivet_mysql_zero order by id\n`

  for (const format of ['parquet', 'csv']) {
    test(`a zero date fails the ${format} run, naming the column and the override`, async () => {
      const msg = await exportFails('zero', `${zero}    format: ${format}\n`)
      expect(msg).toContain('column "d" (date -> date): 0000-00-00 is a MySQL zero date')
      expect(msg).toContain('columns: { d: { zero_dates: as_null } }')
    }, SLOW)
  }

  test('a zero datetime and timestamp fail too, each naming its column', async () => {
    const only = (col: string) => `    query: select id, ${col} from rivet_mysql_zero order by id\n`
    expect(await exportFails('zero', only('dt'))).toContain(
      'column "dt" (datetime -> timestamp): 0000-00-00 00:00:00 is a MySQL zero date',
    )
    expect(await exportFails('zero', only('ts'))).toContain(
      'column "ts" (timestamp -> timestamptz): 0000-00-00 00:00:00 is a MySQL zero date',
    )
  }, SLOW)

  test('zero_dates: as_null exports zero (and zero-part) dates as NULL', async () => {
    const overrides = '    columns: { d: { zero_dates: as_null }, dt: { zero_dates: as_null }, ' +
      'ts: { zero_dates: as_null } }\n'
    const parquet = await exportOne('zero', `${zero}${overrides}`)
    expect(
      await duck(`select id, d::varchar as d, dt::varchar as dt, ts::varchar as ts
      from read_parquet('${parquet}') order by id`),
    ).toEqual([
      { id: 1, d: '2024-01-02', dt: '2024-01-02 03:04:05', ts: '2024-01-02 03:04:05+00' },
      { id: 2, d: null, dt: null, ts: null },
      { id: 3, d: null, dt: null, ts: null },
      { id: 4, d: null, dt: null, ts: null },
    ])
    const csv = await exportOne('zero', `${zero}    format: csv\n${overrides}`)
    expect(readCsv(csv)).toBe(
      'id,d,dt,ts\r\n1,2024-01-02,2024-01-02T03:04:05.000000,2024-01-02T03:04:05.000000Z\r\n2,,,\r\n3,,,\r\n4,,,\r\n',
    )
  }, SLOW)

  test('a zero date with a string override keeps the text', async () => {
    const csv = await exportOne(
      'zero',
      `${zero}    format: csv\n    columns: { d: string, dt: string, ts: string }\n`,
    )
    expect(readCsv(csv)).toBe(
      'id,d,dt,ts\r\n1,2024-01-02,2024-01-02 03:04:05,2024-01-02 03:04:05\r\n' +
        '2,0000-00-00,0000-00-00 00:00:00,0000-00-00 00:00:00\r\n3,2024-02-00,2024-00-00 10:00:00,\r\n4,,,\r\n',
    )
  }, SLOW)

  test('a TIME beyond 00:00..24:00 fails naming the column; a string override keeps the text', async () => {
    const time = `    query: select * from rivet_mysql_time order by id\n`
    const msg = await exportFails('time', time)
    expect(msg).toContain('column "t" (time -> time): -838:59:59 is outside a time of day')
    expect(msg).toContain('columns: { t: string }')
    const csv = await exportOne('time', `${time}    format: csv\n    columns: { t: string }\n`)
    expect(readCsv(csv)).toBe('id,t\r\n1,12:00:00\r\n2,-838:59:59\r\n3,838:59:59\r\n4,\r\n')
  }, SLOW)

  test(
    'a bad value early in a large result fails promptly (the rest is not read) and leaves nothing',
    async () => {
      const started = Date.now()
      const msg = await exportFails(
        'late',
        `    query: select * from rivet_mysql_late order by id\n    max_file_size: 64KB\n    row_group_size: 1000\n`,
      )
      expect(msg).toContain('column "d" (date -> date): 0000-00-00 is a MySQL zero date')
      expect(Date.now() - started).toBeLessThan(20_000)
    },
    SLOW,
  )

  test('tinyint(1) holding other than 0/1 fails naming the column; an int8 override keeps it', async () => {
    const q = `    query: select * from rivet_mysql_tinybool order by id\n`
    const msg = await exportFails('tb', q)
    expect(msg).toContain('column "b" (tinyint(1) -> bool)')
    const csv = await exportOne('tb', `${q}    format: csv\n    columns: { b: int8 }\n`)
    expect(readCsv(csv)).toBe('id,b\r\n1,1\r\n2,0\r\n3,2\r\n4,-1\r\n')
  }, SLOW)
})

describe('mysql: many rows', () => {
  test(`${BIG_ROWS} rows stream in bounded memory with exact values`, async () => {
    const dir = tempDir()
    const path = config(
      dir,
      `  - name: big\n    table: rivet_mysql_big\n    row_group_size: 20000\n    max_file_size: 1MB\n`,
    )
    const result = await rivet(['run', '-c', path])
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    expect(result.peakKb).toBeGreaterThan(0)
    expect(result.peakKb).toBeLessThan(300 * 1024)
    const parts = listFiles(join(dir, 'out', 'big')).filter((f) => f.endsWith('.parquet'))
    expect(parts.length).toBeGreaterThan(1)
    // The expected figures are what MariaDB computes over the same table (see below).
    const [agg] = await duck(`
      select count(*)::int as n, sum(id)::varchar as ids, sum(amount)::varchar as amount,
             count(amount)::int as amounts, sum(epoch_us(happened))::varchar as micros,
             md5(string_agg(label, ',' order by id)) as labels, sum(ratio)::varchar as ratio
        from read_parquet('${join(dir, 'out', 'big')}/*.parquet')`)
    const [maria] = await mariaAggregates()
    expect(agg).toEqual({
      n: BIG_ROWS,
      ids: maria.ids,
      amount: maria.amount,
      amounts: Number(maria.amounts),
      micros: maria.micros,
      labels: maria.labels,
      ratio: agg.ratio, // a float sum depends on the order of addition; checked below
    })
    const [ratios] = await duck(
      `select count(*)::int as wrong from read_parquet('${
        join(dir, 'out', 'big')
      }/*.parquet') where ratio <> id / 7`,
    )
    expect(ratios.wrong).toBe(0)
  }, SLOW)
})

/** The big table's checksums, computed by MariaDB itself. */
async function mariaAggregates(): Promise<Record<string, string>[]> {
  const mysql = await import('mysql2/promise')
  const connection = await mysql.createConnection({
    uri: MYSQL_URL,
    supportBigNumbers: true,
    bigNumberStrings: true,
  })
  try {
    await connection.query('set session group_concat_max_len = 1073741824')
    const [rows] = await connection.query(`
      select cast(sum(id) as char) as ids, cast(sum(amount) as char) as amount, count(amount) as amounts,
             cast(sum(timestampdiff(microsecond, '1970-01-01 00:00:00', happened)) as char) as micros,
             md5(group_concat(label order by id separator ',')) as labels
        from rivet_mysql_big`)
    return (rows as Record<string, unknown>[]).map((r) =>
      Object.fromEntries(Object.entries(r).map(([k, v]) => [k, String(v)]))
    )
  } finally {
    await connection.end()
  }
}
