/**
 * The MariaDB read path's fast forms, end to end against the real MariaDB on 127.0.0.1:3306:
 * BIGINT arrives as a JS number up to 2^53 and as text past it, and DATE, DATETIME and TIMESTAMP
 * are decoded from their bytes. Values on both sides of each boundary must come out exact in
 * Parquet (read back by DuckDB) and CSV, and a day the month lacks fails as its text did.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { localExports, readCsv } from '../helpers/matrix.ts'
import { MYSQL_URL, mysqlExec } from '../helpers/mysql.ts'
import { duck } from '../helpers/parquet.ts'

const SLOW = 120_000

// Each side of 2^53, where mysql2 switches from a number to text, and the ends of both ranges.
const SQL = `
  set session time_zone = '+00:00';
  drop table if exists rivet_mysql_read;
  create table rivet_mysql_read (
    id int not null, big bigint, ubig bigint unsigned, d date, dt datetime(6), ts timestamp(6) null
  );
  insert into rivet_mysql_read values
    (1, -9223372036854775808, 0, '0001-01-01', '0001-01-01 00:00:00.000001', '1970-01-01 00:00:01'),
    (2, -9007199254740993, 9007199254740991, '1900-10-20', '1900-10-20 10:00:00', '2000-10-10 00:00:00.100000'),
    (3, -9007199254740992, 9007199254740992, '1969-12-31', '1969-12-31 23:59:59.999999', '2038-01-19 03:14:07.999999'),
    (4, -9007199254740991, 9007199254740993, '2000-01-10', '2000-01-10 00:00:00', null),
    (5, 9007199254740991, 18446744073709551615, '9999-12-31', '9999-12-31 23:59:59.999999', '2024-02-29 12:00:00'),
    (6, 9007199254740992, null, null, null, null),
    (7, 9007199254740993, 1, '2024-02-29', '2024-02-29 00:00:00', '1999-12-31 23:59:59'),
    (8, 9223372036854775807, 2, '2020-10-01', '2020-10-01 01:02:03.000400', '2020-10-01 00:00:00');
  set session sql_mode = 'ALLOW_INVALID_DATES';
  drop table if exists rivet_mysql_invalid;
  create table rivet_mysql_invalid (id int not null, dt datetime(3), d date, s datetime);
  insert into rivet_mysql_invalid values (1, '2024-02-30 10:00:00.123', '2023-02-29', '2024-04-31 00:00:00');
`

const { exportOne, exportFails } = localExports({ source: `source: { type: mysql, url: ${MYSQL_URL} }\n` })
const query = '    query: select * from rivet_mysql_read order by id\n'

beforeAll(() => mysqlExec(SQL), SLOW)

describe('mysql read path', () => {
  test('BIGINT either side of 2^53 and temporal values with zero digits are exact in Parquet', async () => {
    const parquet = await exportOne('read', `${query}    format: parquet\n`)
    expect(
      await duck(`select id, big::varchar as big, ubig::varchar as ubig, d::varchar as d, dt::varchar as dt,
        ts::varchar as ts from read_parquet('${parquet}') order by id`),
    ).toEqual([
      {
        id: 1,
        big: '-9223372036854775808',
        ubig: '0',
        d: '0001-01-01',
        dt: '0001-01-01 00:00:00.000001',
        ts: '1970-01-01 00:00:01+00',
      },
      {
        id: 2,
        big: '-9007199254740993',
        ubig: '9007199254740991',
        d: '1900-10-20',
        dt: '1900-10-20 10:00:00',
        ts: '2000-10-10 00:00:00.1+00',
      },
      {
        id: 3,
        big: '-9007199254740992',
        ubig: '9007199254740992',
        d: '1969-12-31',
        dt: '1969-12-31 23:59:59.999999',
        ts: '2038-01-19 03:14:07.999999+00',
      },
      {
        id: 4,
        big: '-9007199254740991',
        ubig: '9007199254740993',
        d: '2000-01-10',
        dt: '2000-01-10 00:00:00',
        ts: null,
      },
      {
        id: 5,
        big: '9007199254740991',
        ubig: '18446744073709551615',
        d: '9999-12-31',
        dt: '9999-12-31 23:59:59.999999',
        ts: '2024-02-29 12:00:00+00',
      },
      { id: 6, big: '9007199254740992', ubig: null, d: null, dt: null, ts: null },
      {
        id: 7,
        big: '9007199254740993',
        ubig: '1',
        d: '2024-02-29',
        dt: '2024-02-29 00:00:00',
        ts: '1999-12-31 23:59:59+00',
      },
      {
        id: 8,
        big: '9223372036854775807',
        ubig: '2',
        d: '2020-10-01',
        dt: '2020-10-01 01:02:03.0004',
        ts: '2020-10-01 00:00:00+00',
      },
    ])
  }, SLOW)

  test('the same values as CSV text', async () => {
    const csv = await exportOne('read', `${query}    format: csv\n`)
    expect(readCsv(csv).split('\r\n')).toEqual([
      'id,big,ubig,d,dt,ts',
      '1,-9223372036854775808,0,0001-01-01,0001-01-01T00:00:00.000001,1970-01-01T00:00:01.000000Z',
      '2,-9007199254740993,9007199254740991,1900-10-20,1900-10-20T10:00:00.000000,2000-10-10T00:00:00.100000Z',
      '3,-9007199254740992,9007199254740992,1969-12-31,1969-12-31T23:59:59.999999,2038-01-19T03:14:07.999999Z',
      '4,-9007199254740991,9007199254740993,2000-01-10,2000-01-10T00:00:00.000000,',
      '5,9007199254740991,18446744073709551615,9999-12-31,9999-12-31T23:59:59.999999,2024-02-29T12:00:00.000000Z',
      '6,9007199254740992,,,,',
      '7,9007199254740993,1,2024-02-29,2024-02-29T00:00:00.000000,1999-12-31T23:59:59.000000Z',
      '8,9223372036854775807,2,2020-10-01,2020-10-01T01:02:03.000400,2020-10-01T00:00:00.000000Z',
      '',
    ])
  }, SLOW)

  test('a day the month lacks (ALLOW_INVALID_DATES) fails with the text mysql2 would give', async () => {
    const one = (col: string) => `    query: select id, ${col} from rivet_mysql_invalid\n`
    expect(await exportFails('invalid', one('dt'))).toContain(
      'column "dt" (datetime -> timestamp): "2024-02-30 10:00:00.123" is not a valid date or time',
    )
    expect(await exportFails('invalid', one('d'))).toContain(
      'column "d" (date -> date): "2023-02-29" is not a valid date or time',
    )
    expect(await exportFails('invalid', one('s'))).toContain(
      'column "s" (datetime -> timestamp): "2024-04-31 00:00:00" is not a valid date or time',
    )
  }, SLOW)

  test("a column name given twice keeps mysql2's text, with the same values", async () => {
    const csv = await exportOne(
      'twice',
      '    query: select id, dt, dt, d, d from rivet_mysql_read where id in (1, 5) order by id\n' +
        '    format: csv\n',
    )
    expect(readCsv(csv)).toBe(
      'id,dt,dt,d,d\r\n1,0001-01-01T00:00:00.000001,0001-01-01T00:00:00.000001,0001-01-01,0001-01-01\r\n' +
        '5,9999-12-31T23:59:59.999999,9999-12-31T23:59:59.999999,9999-12-31,9999-12-31\r\n',
    )
  }, SLOW)
})
