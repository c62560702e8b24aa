/**
 * The CSV COPY read path (src/sources/postgres/copy-csv.ts) against the real server: for every
 * type and edge value, the CSV records it sends are byte for byte what the CSV encoder writes of
 * the values the binary path decodes; rows split across chunks anywhere read the same; a value
 * the converter refuses fails as it does on the decode path.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import postgres from 'postgres'
import { csvFormat } from '../../../src/formats/csv.ts'
import { csvFieldPlans, CsvRecordReader } from '../../../src/sources/postgres/copy-csv.ts'
import { copyStatement } from '../../../src/sources/postgres/copy.ts'
import { PostgresSource } from '../../../src/sources/postgres/source.ts'
import { columnConverter } from '../../../src/sources/batch.ts'
import type { BatchLimits, ReadRequest } from '../../../src/sources/source.ts'
import type { Column } from '../../../src/types/output.ts'
import type { ColumnBatch } from '../../../src/types/values.ts'
import { PG_CONNECTION, PG_URL, pgExec } from '../../helpers/pg.ts'
import { edgesTable } from '../../helpers/pg-edges.ts'

const SCHEMA = 'rivet_copy_csv'
const LIMITS: BatchLimits = { rows: 700, bytes: 1 << 16 }

beforeAll(() =>
  pgExec(String.raw`
    drop schema if exists ${SCHEMA} cascade;
    create schema ${SCHEMA};
    ${edgesTable(SCHEMA)}
    -- What PostgreSQL writes differently from rivet: exponents, far and BC dates, bool, bytea.
    create table ${SCHEMA}.specials (
      id int, d float8, r real, n numeric(10,3), dt date, ts timestamp, tz timestamptz, tm time,
      b bytea, t text, f bool
    );
    insert into ${SCHEMA}.specials values
      (1, 1e15, 1e15, 1e6, '10000-01-01', '10000-01-01 00:00:00', '10000-01-01 00:00:00.5+00', '24:00:00',
       '', '', true),
      (2, 1.5e-7, 1.5e-7, -1.5, '0001-01-01 BC', '0044-03-15 12:00:00.000001 BC', '0001-01-01 00:00:00 BC',
       '00:00:00', '\x00ff', E'a,b "c"\r\nd', false),
      (3, 123456789012345680000, -3.4e38, 0, '9999-12-31', '9999-12-31 23:59:59.999999',
       '9999-12-31 23:59:59.999999+00', '23:59:59.5', '\xdeadbeef', '\.', null),
      (4, '-0', '-0', null, '2020-02-29', '2020-02-29 00:00:00', '2020-02-29 00:00:00+00', '12:00:00.000001',
       null, '""', true),
      (5, 'NaN', 'Infinity', 1e-3, '1970-01-01', '1970-01-01 00:00:00.1', '1969-12-31 23:59:59.9+00',
       '00:00:00.1', '\x', E'\u00e9\u20ac\U0001F600', false),
      (6, '-Infinity', 1.4e-45, -99.5, null, null, null, null, null, null, null),
      (7, 1e21, 1e-6, 1234567.891, '2000-01-01', '2000-01-01 01:02:03.04', '2000-01-01 01:02:03.04+00',
       '01:02:03.04', '\x0a', 'x', true),
      (8, 5e-324, 1e-4, 0.5, '2000-01-01', '2000-01-01 01:02:03', '2000-01-01 01:02:03+00', '01:02:03',
       '\x0a', ' ', true);
    create table ${SCHEMA}.bad (id int, ts timestamp, n numeric(4,1));
    insert into ${SCHEMA}.bad values (1, '2000-01-01', 1), (2, 'infinity', 2), (3, '2000-01-01', 'NaN');
  `)
)

const source = new PostgresSource({ ...PG_CONNECTION })

afterAll(() => source.close())

async function request(query: string, csv: boolean): Promise<ReadRequest> {
  const described = await source.describe(query)
  return { query, columns: described.map((c) => ({ ...c, type: c.type! }) as Column), csv }
}

async function collect(stream: ReadableStream<ColumnBatch>): Promise<ColumnBatch[]> {
  const batches: ColumnBatch[] = []
  const reader = stream.getReader()
  for (let next = await reader.read(); !next.done; next = await reader.read()) batches.push(next.value)
  return batches
}

/** The CSV file the encoder writes of batches, values or records. */
function csvFile(columns: Column[], batches: ColumnBatch[]): string {
  const encoder = csvFormat('none').create(columns)
  const parts: Uint8Array[] = []
  // Copies: the encoder reuses its buffer (a Buffer's slice would share it).
  for (const batch of batches) parts.push(...encoder.write(batch).map((bytes) => new Uint8Array(bytes)))
  parts.push(...encoder.end().map((bytes) => new Uint8Array(bytes)))
  return Buffer.concat(parts).toString('utf8')
}

/** The same query read as CSV records and as values, each written by the CSV encoder. */
async function bothPaths(
  query: string,
): Promise<{ records: string; values: string; batches: ColumnBatch[] }> {
  const asRecords = await request(query, true)
  const batches = await collect(source.read(asRecords, LIMITS))
  const asValues = await request(query, false)
  const decoded = await collect(source.read(asValues, LIMITS))
  expect(decoded.every((b) => !b.csv && b.columns.length === asValues.columns.length)).toBe(true)
  return {
    records: csvFile(asRecords.columns, batches),
    values: csvFile(asValues.columns, decoded),
    batches,
  }
}

/** A text column. */
function text(name: string, nullable: boolean): Column {
  return { name, sourceType: 'text', nullable, type: { kind: 'string' } }
}

/** The plans of text columns. */
function plans(columns: Column[]) {
  return csvFieldPlans(
    columns.map((c) => ({ name: c.name, oid: 25, formatted: 'text', category: 'S', nullable: c.nullable })),
    columns,
    columns.map((c) => columnConverter(c)),
    true,
  )
}

const utf8 = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8')

describe('CSV COPY read', () => {
  test('records of every type are the CSV of the decoded values, byte for byte', async () => {
    const { records, values, batches } = await bothPaths(`select * from ${SCHEMA}.edges order by id`)
    // Records, not values, came: the fast path ran.
    expect(batches.length).toBeGreaterThan(3)
    expect(batches.every((b) => b.csv !== undefined && b.columns.length === 0)).toBe(true)
    expect(batches.reduce((n, b) => n + b.length, 0)).toBe(3001)
    expect(records).toBe(values)
    const lines = records.split('\r\n')
    // The row of NULLs: nothing between the commas.
    expect(lines[1]).toBe('0' + ','.repeat(28))
  })

  test('values PostgreSQL writes in another shape are rewritten as rivet writes them', async () => {
    const { records, values } = await bothPaths(`select * from ${SCHEMA}.specials order by id`)
    expect(records).toBe(values)
    expect(records.split('\r\n').slice(0, 10)).toEqual([
      'id,d,r,n,dt,ts,tz,tm,b,t,f',
      // A real is held as the double of its shortest digits (999999986991104 reads 1e+15).
      '1,1000000000000000,1000000000000000,1000000.000,+010000-01-01,+010000-01-01T00:00:00.000000,' +
      '+010000-01-01T00:00:00.500000Z,24:00:00.000000,"","",true',
      // 1 BC is the year 0 of ISO 8601.
      '2,1.5e-7,1.5e-7,-1.500,0000-01-01,-000043-03-15T12:00:00.000001,0000-01-01T00:00:00.000000Z,' +
      '00:00:00.000000,00ff,"a,b ""c""',
      'd",false',
      '3,123456789012345680000,-3.4e+38,0.000,9999-12-31,9999-12-31T23:59:59.999999,' +
      '9999-12-31T23:59:59.999999Z,23:59:59.500000,deadbeef,\\.,',
      '4,-0,-0,,2020-02-29,2020-02-29T00:00:00.000000,2020-02-29T00:00:00.000000Z,12:00:00.000001,,"""""",true',
      '5,NaN,Infinity,0.001,1970-01-01,1970-01-01T00:00:00.100000,1969-12-31T23:59:59.900000Z,00:00:00.100000,' +
      '"",\u00e9\u20ac\u{1f600},false',
      '6,-Infinity,1e-45,-99.500,,,,,,,',
      '7,1e+21,0.000001,1234567.891,2000-01-01,2000-01-01T01:02:03.040000,2000-01-01T01:02:03.040000Z,' +
      '01:02:03.040000,0a,x,true',
      '8,5e-324,0.0001,0.500,2000-01-01,2000-01-01T01:02:03.000000,2000-01-01T01:02:03.000000Z,' +
      '01:02:03.000000,0a, ,true',
    ])
  })

  test('alone on a line, `\\.` is written as rivet writes it, not quoted as PostgreSQL does', async () => {
    const { records, values } = await bothPaths(`select t from ${SCHEMA}.specials order by id`)
    expect(records).toBe(values)
    expect(records.split('\r\n')[4]).toBe('\\.')
  })

  test('rows split across chunks at any byte read the same', async () => {
    const query = `select * from ${SCHEMA}.specials order by id`
    const req = await request(query, true)
    const sql = postgres(PG_URL, {
      max: 1,
      onnotice: () => {},
      connection: { TimeZone: 'UTC', bytea_output: 'hex' },
    })
    try {
      const infos = await (source as unknown as { columnInfos(q: string): Promise<never[]> }).columnInfos(
        query,
      )
      const fields = csvFieldPlans(infos, req.columns, req.columns.map((c) => columnConverter(c)), true)
      const stream = await sql.unsafe(copyStatement(query, 'csv')).readable()
      const pieces: Uint8Array[] = []
      for await (const chunk of stream) pieces.push(chunk as Uint8Array)
      const whole = new Uint8Array(Buffer.concat(pieces))
      const expected = (await bothPaths(query)).records
      for (const size of [1, 2, 7, 64, whole.length]) {
        const batches: ColumnBatch[] = []
        // Records are only bytes: the byte limit cuts batches, the row limit does not.
        const reader = new CsvRecordReader(fields, { rows: 1, bytes: 300 }, (b) => batches.push(b))
        for (let at = 0; at < whole.length; at += size) reader.push(whole.subarray(at, at + size))
        expect(reader.complete).toBe(true)
        reader.flush()
        expect(batches.reduce((n, b) => n + b.length, 0)).toBe(8)
        expect(batches.length).toBeGreaterThan(1)
        expect(batches.some((b) => b.length > 1)).toBe(true)
        expect(batches.slice(0, -1).every((b) => b.csv!.length >= 300)).toBe(true)
        expect(csvFile(req.columns, batches)).toBe(expected)
      }
    } finally {
      await sql.end()
    }
  })

  test('a row with another number of fields, or a NULL in a NOT NULL column, stops the read', () => {
    const read = (columns: Column[], rows: string) => {
      const batches: ColumnBatch[] = []
      const reader = new CsvRecordReader(plans(columns), LIMITS, (b) => batches.push(b))
      reader.push(new TextEncoder().encode(rows))
      reader.flush()
      return batches
    }
    const two = [text('a', true), text('b', true)]
    expect(() => read(two, 'x,y\nx\n')).toThrow('COPY sent a row that does not have 2 fields')
    expect(() => read(two, 'x,y,z\n')).toThrow('COPY sent a row that does not have 2 fields')
    expect(() => read([text('a', true), text('b', false)], 'x,y\nx,\n')).toThrow(
      'column "b" was described as NOT NULL but a row holds NULL',
    )
    // Nothing was handed over from the rows before the bad one.
    const batches: ColumnBatch[] = []
    const reader = new CsvRecordReader(plans(two), LIMITS, (b) => batches.push(b))
    expect(() => reader.push(new TextEncoder().encode('x,y\nx\n'))).toThrow()
    expect(batches).toEqual([])
    // The well-formed rows read as they are.
    expect(new TextDecoder().decode(read(two, 'x,"y,1"\n,\n')[0].csv)).toBe('x,"y,1"\r\n,\r\n')
  })

  test('a record longer than the data first looked at reads whole, in one chunk or in pieces', () => {
    const long = 'x'.repeat(100_000)
    const rows = `a,b\n${long},"${long}"\nc,d\n`
    const expected = rows.replaceAll('\n', '\r\n')
    const data = new TextEncoder().encode(rows)
    for (const size of [data.length, 30_000, 4_096]) {
      const batches: ColumnBatch[] = []
      const reader = new CsvRecordReader(
        plans([text('a', true), text('b', true)]),
        LIMITS,
        (b) => batches.push(b),
      )
      for (let at = 0; at < data.length; at += size) reader.push(data.subarray(at, at + size))
      reader.flush()
      expect(batches.reduce((n, b) => n + b.length, 0)).toBe(3)
      expect(batches.map((b) => utf8(b.csv!)).join('')).toBe(expected)
    }
  })

  test('a batch buffer given back is written again, one not given back never is', () => {
    const row = 'x'.repeat(1_000) + ',y\n'
    const batches: ColumnBatch[] = []
    const copies: string[] = []
    const reader = new CsvRecordReader(plans([text('a', true), text('b', true)]), LIMITS, (b) => {
      batches.push(b)
      copies.push(utf8(b.csv!))
      // The first batch is given back as the encoder does, once copied; the rest are kept.
      if (batches.length === 1) b.release!()
    })
    const data = new TextEncoder().encode(row.repeat(300))
    for (let at = 0; at < data.length; at += 10_000) reader.push(data.subarray(at, at + 10_000))
    reader.flush()
    expect(batches.length).toBeGreaterThan(3)
    const buffers = batches.map((b) => b.csv!.buffer)
    // The third batch took the first one's memory; every other batch has its own.
    expect(buffers[2]).toBe(buffers[0])
    expect(new Set(buffers).size).toBe(batches.length - 1)
    // What the batches held when handed over is what they hold now, but for the given-back one.
    expect(batches.slice(1).map((b) => utf8(b.csv!))).toEqual(copies.slice(1))
    expect(copies.join('')).toBe(row.replaceAll('\n', '\r\n').repeat(300))
  })

  test.each([['ts', 'id <= 2'], ['n', 'id <> 2']])(
    'a value rivet cannot store (%s) fails as on the decode path',
    async (column, where) => {
      const query = `select * from ${SCHEMA}.bad where ${where} order by id`
      const failure = async (csv: boolean) => {
        try {
          await collect(source.read(await request(query, csv), LIMITS))
        } catch (error) {
          return error as Error & { code?: string }
        }
        throw new Error('the read did not fail')
      }
      const viaRecords = await failure(true)
      const viaValues = await failure(false)
      expect(viaRecords.message).toBe(viaValues.message)
      expect(viaRecords.message).toContain(`column "${column}"`)
      expect(viaRecords.code).toBe('VALUE_UNSUPPORTED')
      // The connection is usable after the failed read.
      expect(await source.queryText('select 1', [])).toEqual([['1']])
    },
  )
})
