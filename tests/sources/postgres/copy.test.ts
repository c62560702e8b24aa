/**
 * The binary COPY read path (src/sources/postgres/copy.ts and friends) against the real server:
 * every type it decodes gives the same values as the text cursor path, row for row, including
 * the edges of numeric, float4 and timestamps; tuples split across chunks anywhere; ranges with
 * quotes in their bounds; queries COPY cannot wrap; and a cancelled read, or a COPY whose last
 * message arrives while the socket is paused, leaves the connection usable.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import net from 'node:net'
import postgres from 'postgres'
import { narrowQuery, type ReadRequest } from '../../../src/sources/source.ts'
import type { BatchLimits } from '../../../src/sources/source.ts'
import { PostgresSource } from '../../../src/sources/postgres/source.ts'
import { CopyTupleReader } from '../../../src/sources/postgres/copy-tuples.ts'
import { binaryDecoder, int64Decoder } from '../../../src/sources/postgres/binary.ts'
import { columnConverter } from '../../../src/sources/batch.ts'
import type { Column } from '../../../src/types/output.ts'
import { daysFromCivil } from '../../../src/types/temporal.ts'
import type { ColumnBatch, Value } from '../../../src/types/values.ts'
import { PG_CONNECTION, PG_URL, pgExec } from '../../helpers/pg.ts'
import { edgesTable } from '../../helpers/pg-edges.ts'

const SCHEMA = 'rivet_copy_read'
const LIMITS: BatchLimits = { rows: 1000, bytes: 1 << 20 }

beforeAll(async () => {
  await pgExec(`
    drop schema if exists rivet_copy_read cascade;
    create schema rivet_copy_read;
    ${edgesTable(SCHEMA)}
    create table rivet_copy_read.names (id int, name text);
    insert into rivet_copy_read.names values (1, 'abc'), (2, 'o''neil'), (3, 'zed'), (4, 'o''')
  `)
})

const source = new PostgresSource({ ...PG_CONNECTION })

afterAll(() => source.close())

async function request(query: string, range?: ReadRequest['range']): Promise<ReadRequest> {
  const described = await source.describe(query)
  const columns = described.map((c) => ({ ...c, type: c.type! }) as Column)
  return { query, columns, range }
}

async function collect(stream: ReadableStream<ColumnBatch>): Promise<ColumnBatch[]> {
  const batches: ColumnBatch[] = []
  const reader = stream.getReader()
  for (let next = await reader.read(); !next.done; next = await reader.read()) batches.push(next.value)
  return batches
}

/** Row-major values of batches, so paths that cut batches differently compare equal. */
function rows(batches: ColumnBatch[]): Value[][] {
  const out: Value[][] = []
  for (const batch of batches) {
    for (let r = 0; r < batch.length; r++) out.push(batch.columns.map((column) => column[r]))
  }
  return out
}

/** The same request through the text cursor path, which the COPY path must agree with. */
function readCursor(req: ReadRequest): ReadableStream<ColumnBatch> {
  const narrowed = narrowQuery(req.query, req.range, source.dialect)
  const cursor = (source as unknown as {
    readCursor(n: typeof narrowed, r: ReadRequest, l: BatchLimits): ReadableStream<ColumnBatch>
  }).readCursor
  return cursor.call(source, narrowed, req, LIMITS)
}

describe('binary COPY read', () => {
  test('every decoded type gives the text path values, row for row', async () => {
    const req = await request(`select * from ${SCHEMA}.edges order by id`)
    const viaCopy = rows(await collect(source.read(req, LIMITS)))
    const viaText = rows(await collect(readCursor(req)))
    expect(viaCopy.length).toBe(3001)
    expect(viaCopy).toEqual(viaText)
    // Spot checks against literal values, so both paths being wrong the same way fails too.
    const names = req.columns.map((c) => c.name)
    const row = (id: number) => Object.fromEntries(names.map((n, i) => [n, viaCopy[id][i]]))
    expect(row(0).n12).toBe(null)
    expect(row(5)).toMatchObject({
      n12: 999999999999n,
      n4: -995n,
      n9: -460405n,
      n40: -1234567890100000n,
      r: 0.3,
      s: -29995,
      o: 5n,
      ch: 'xx  ',
      m: 625n,
      e: "it's",
      iv: 'P5M5DT0.005S',
      ip: '10.0.5.1',
    })
    expect(row(6)).toMatchObject({ n12: -999999999999n, e: 'red', flag: true })
    expect(row(2)).toMatchObject({ r: 3.4e38, flag: false, m: 250n, iv: 'P2M2DT0.002S', ip: '10.0.2.1' })
    expect(row(1)).toMatchObject({
      r: 1e-45,
      dt: daysFromCivil(-4712, 11, 24) + 1000,
      txt: 'b\u00e9\u20ac',
      ia: [1, null, -1],
    })
    expect(row(1).ts).toBe(-62167219200000000n + 5n * 86400000000n + 3000007n)
    expect(row(3).jb).toBe('{"i": 3, "s": "q\\"3"}')
    expect(row(3).b).toEqual(new Uint8Array(Buffer.from('eccbc87e4b5ce2fe28308fd9f2a7baf3', 'hex')))
  })

  test('a connection that never described the query (a parallel chunk) reads the same', async () => {
    const req = await request(`select id, ia, ta, m, iv, n40 from ${SCHEMA}.edges order by id`)
    const fresh = new PostgresSource({ ...PG_CONNECTION })
    try {
      const viaFresh = rows(await collect(fresh.read(req, LIMITS)))
      expect(viaFresh).toEqual(rows(await collect(source.read(req, LIMITS))))
      expect(viaFresh[7]).toEqual([
        7,
        [7, null, -7],
        ['a,7', null],
        875n,
        'P7M7DT0.007S',
        123456789010000000n,
      ])
    } finally {
      await fresh.close()
    }
  })

  test('tuples split across chunks at any byte read the same', async () => {
    const sql = postgres(PG_URL, { max: 1, onnotice: () => {} })
    try {
      const query = `select id, n40, txt, tz from ${SCHEMA}.edges where id <= 50 order by id`
      const req = await request(query)
      const stream = await sql.unsafe(`copy (${query}) to stdout (format binary)`).readable()
      const parts: Uint8Array[] = []
      for await (const chunk of stream) parts.push(chunk as Uint8Array)
      const whole = new Uint8Array(Buffer.concat(parts))
      const expected = rows(await collect(source.read(req, LIMITS)))
      const oids = [23, 1700, 25, 1184]
      const infos = req.columns.map((column, i) => ({
        name: column.name,
        oid: oids[i],
        formatted: column.sourceType,
        category: '',
        nullable: true,
      }))
      const decoders = req.columns.map((column, i) =>
        binaryDecoder(infos[i], column, columnConverter(column))!
      )
      const int64 = req.columns.map((column, i) => int64Decoder(infos[i], column))
      expect(int64.map(Boolean)).toEqual([false, false, false, true])
      for (const size of [1, 2, 7, 64, whole.length]) {
        const batches: ColumnBatch[] = []
        const limits = { rows: 7, bytes: 1 << 20 }
        const reader = new CopyTupleReader(
          req.columns,
          decoders,
          int64,
          limits,
          (batch) => batches.push(batch),
        )
        // Each chunk is a copy, so nothing can lean on the previous chunk's buffer.
        for (let at = 0; at < whole.length; at += size) reader.push(whole.slice(at, at + size))
        reader.flush()
        expect(reader.complete).toBe(true)
        expect(batches.map((b) => b.length)).toEqual([7, 7, 7, 7, 7, 7, 7, 2])
        expect(rows(batches)).toEqual(expected)
      }
    } finally {
      await sql.end()
    }
  })

  test('int64 columns come as vectors, and as arrays in a batch with a NULL', async () => {
    // Rows 1-7 and 15-21 have no NULL; row 10 has one in each column, after rows the vectors took.
    const query = `select id::int8 as id8,
        case when id = 10 then null else tz end as tz,
        (case when id = 10 then null else n12 end)::numeric(12,2) as n12,
        case when id = 10 then null else ts end as ts
      from ${SCHEMA}.edges where id between 1 and 21 order by id`
    const req = await request(query)
    const batches = await collect(source.read(req, { rows: 7, bytes: 1 << 20 }))
    expect(batches.map((b) => b.columns.map((c) => c instanceof BigInt64Array))).toEqual([
      [true, true, true, true],
      [true, false, false, false],
      [true, true, true, true],
    ])
    expect(rows(batches)).toEqual(rows(await collect(readCursor(req))))
    const second = batches[1].columns[1] as Value[]
    expect(second[2]).toBe(null)
    // Microseconds from 1970 past 2^53 (the year 1 BC) go into the vector from the bigint path.
    expect(rows(batches)[0][3]).toBe(-62167219200000000n + 5n * 86400000000n + 3000007n)
    // id 9: 1969-12-31 23:59:59.999999 UTC + (9 - 1500) * (17 days + 1 microsecond).
    expect(rows(batches)[8][1]).toBe(-1n - 1491n * (17n * 86400000000n + 1n))
  })

  test('range bounds go in as literals: quotes are kept, backslashes use the cursor', async () => {
    const req = await request(`select * from ${SCHEMA}.names`)
    const name = req.columns[1]
    const read = async (range: ReadRequest['range']) =>
      rows(await collect(source.read({ ...req, range }, LIMITS))).map((r) => r[1]).sort()
    expect(await read({ column: name, from: "o'", below: "o'z" })).toEqual(["o'", "o'neil"])
    expect(await read({ column: name, from: "o'neil" })).toEqual(["o'neil", 'zed'])
    expect(await read({ column: name, below: 'a\\b' })).toEqual([])
    expect(await read({ column: req.columns[0], from: '2', below: '4' })).toEqual(["o'neil", 'zed'])
  })

  test('a query COPY cannot wrap (trailing semicolon) is read through the cursor', async () => {
    const req = await request(`select id, name from ${SCHEMA}.names order by id;`)
    expect(rows(await collect(source.read(req, LIMITS)))).toEqual([
      [1, 'abc'],
      [2, "o'neil"],
      [3, 'zed'],
      [4, "o'"],
    ])
  })

  test('a COPY whose ReadyForQuery comes in a packet of its own, after a pause, leaves the connection usable', async () => {
    // A proxy that holds back every trailing ReadyForQuery ('Z', length 5, status) for a moment,
    // so it reaches the client in a read of its own, after the COPY's end.
    const proxy = net.createServer((client) => {
      const server = net.connect(5432, '127.0.0.1')
      client.on('data', (chunk) => server.write(chunk))
      server.on('data', (chunk: Buffer) => {
        const n = chunk.length
        if (n >= 6 && chunk[n - 6] === 0x5a && chunk.readUInt32BE(n - 5) === 5) {
          client.write(chunk.subarray(0, n - 6))
          const tail = Buffer.from(chunk.subarray(n - 6))
          setTimeout(() => client.writable && client.write(tail), 20)
        } else client.write(chunk)
      })
      const close = () => (client.destroy(), server.destroy())
      client.on('close', close).on('error', close)
      server.on('close', close).on('error', close)
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    const proxied = new PostgresSource({ ...PG_CONNECTION, port: (proxy.address() as net.AddressInfo).port })
    try {
      const query = `select i, repeat('y', 200) as pad from generate_series(1, 20000) as i`
      const described = await proxied.describe(query)
      const req = { query, columns: described.map((c) => ({ ...c, type: c.type! }) as Column) }
      // Small batches read slowly: the stream is paused most of the time, its buffer fills, and
      // postgres.js pauses the socket, also when the COPY's last rows arrive.
      const reader = proxied.read(req, { rows: 10, bytes: 1 << 20 }).getReader()
      let total = 0
      for (let next = await reader.read(); !next.done; next = await reader.read()) {
        total += next.value.length
        if (total % 5000 === 0) await new Promise((resolve) => setTimeout(resolve, 50))
      }
      expect(total).toBe(20000)
      const answer = await Promise.race([
        proxied.queryText('select $1::int + 1', ['41']),
        new Promise((resolve) => setTimeout(() => resolve('stalled'), 3000)),
      ])
      expect(answer).toEqual([['42']])
    } finally {
      await Promise.race([proxied.close(), new Promise((resolve) => setTimeout(resolve, 1000))])
      proxy.close()
    }
  })

  test('the cancel of a COPY reaches only that statement, not the next one on the backend', async () => {
    const cancel = (source as unknown as { cancelBackend(pid: number, statement: string): Promise<void> })
      .cancelBackend.bind(source)
    const [[pid]] = await source.queryText('select pg_backend_pid()', [])
    const sleep = 'select pg_sleep(0.4)'
    // A COPY that has ended meanwhile: the statement now running is left alone.
    const next = source.queryText(sleep, [])
    await Bun.sleep(100)
    await cancel(Number(pid), 'copy (select 1) to stdout (format binary)')
    expect(await next).toEqual([['']])
    // The statement itself is cancelled.
    const running = source.queryText(sleep, []).then(() => 'finished', (error) => String(error))
    await Bun.sleep(100)
    await cancel(Number(pid), sleep)
    expect(await running).toContain('canceling statement')
  })

  test('a read cancelled mid-COPY stops the server and leaves the connection usable', async () => {
    const req = await request(`select i, repeat('x', 100) as pad from generate_series(1, 2000000) as i`)
    const reader = source.read(req, { rows: 1000, bytes: 1 << 20 }).getReader()
    const first = await reader.read()
    expect(first.value?.length).toBe(1000)
    const started = performance.now()
    await reader.cancel()
    expect(await source.queryText('select $1::int + 1', ['41'])).toEqual([['42']])
    // Draining two million rows would take seconds; a cancelled COPY ends at once.
    expect(performance.now() - started).toBeLessThan(1500)
  })
})
