/**
 * The SQL Server source end to end through the CLI, against the TDS test double driven by the
 * real tedious client: the type matrix to Parquet (read back by hyparquet and DuckDB) and CSV
 * (byte for byte), what `check` reports, a 100k-row stream, and every error a user can hit
 * (exit code, one line naming host:port, no password, nothing left in the destination).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { errorLines, type ExpectedError, expectRunError, rivet } from '../helpers/cli.ts'
import { listFiles, tempDir } from '../helpers/files.ts'
import { checkMatrixParquet, decimalShape, FOOTER, localExports, readCsv } from '../helpers/matrix.ts'
import {
  CONVERTED,
  describeReply,
  expectedCsv,
  MATRIX,
  matrixReply,
  SQLSERVER_MATRIX,
} from '../helpers/mssql-matrix.ts'
import { duck, readWithHyparquet, schemaShape } from '../helpers/parquet.ts'
import { type ResultSet, type TdsColumn, TdsServer, type TdsValue } from '../helpers/tds-server.ts'
import { Secret } from '../../src/log/secret.ts'
import { SqlServerSource } from '../../src/sources/sqlserver/source.ts'

const SLOW = 120_000
const PASSWORD = 'rivet-test-password'
const PASSWORD_ENV = 'RIVET_TEST_MSSQL_PASSWORD'

let server: TdsServer

function escapeRe(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * Teaches the double one query, the way rivet asks about it: `sp_describe_first_result_set` of
 * the query and of rivet's converting wrapper, then the rows (for the wrapper or the plain query).
 */
function register(
  query: string,
  columns: TdsColumn[],
  rows: () => ResultSet | { error: { number: number; message: string } },
) {
  const literal = escapeRe(query.replaceAll("'", "''"))
  server.on(
    new RegExp(
      `^exec sp_describe_first_result_set @tsql = N'(${literal}|select .* from \\(${literal}\\) as \\[rivet_q\\])'$`,
      's',
    ),
    describeReply(columns),
  )
  server.on(
    new RegExp(`^(${escapeRe(query)}|select .* from \\(${escapeRe(query)}\\) as \\[rivet_q\\])$`, 's'),
    () => rows(),
  )
}

const MATRIX_QUERY = 'select * from [dbo].[matrix]'

/** A geography point as SQL Server serialises it (SRID 4326, POINT(1 2)). */
const SHAPE = Uint8Array.from(Buffer.from('e6100000010c000000000000f03f0000000000000040', 'hex'))

/** The big streamed result: an int, a decimal (read through CONVERT) and a string. */
function* bigRows(count: number, bad?: number): Generator<TdsValue[]> {
  for (let i = 1; i <= count; i++) {
    const cents = BigInt(i) * 12345n
    const amount = i === bad ? 'not a number' : `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`
    yield [i, i % 10 === 0 ? null : amount, `label ${i} ${'x'.repeat(i % 40)}`]
  }
}

const BIG_COLUMNS: TdsColumn[] = [
  { name: 'id', type: 'int', nullable: false },
  { name: 'amount', type: 'decimal(18,2)' },
  { name: 'label', type: 'nvarchar(80)' },
]

beforeAll(async () => {
  server = await TdsServer.start({ user: 'sa', password: PASSWORD, databases: ['test'] })
  register(MATRIX_QUERY, MATRIX, matrixReply)
  server.on(
    "select sum(p.rows) as n from sys.partitions as p where p.object_id = object_id(N'[dbo].[matrix]') and p.index_id in (0, 1)",
    { columns: [{ name: 'n', type: 'bigint' }], rows: [[4n]] },
  )
  const bigReply = (bad?: number) => () => ({
    columns: [BIG_COLUMNS[0], { name: 'amount', type: 'varchar(50)' }, BIG_COLUMNS[2]],
    rows: { [Symbol.iterator]: () => bigRows(100_000, bad) },
  })
  register('select id, amount, label from dbo.big', BIG_COLUMNS, bigReply())
  register('select id, amount, label from dbo.big_bad', BIG_COLUMNS, bigReply(90_001))
  const places: TdsColumn[] = [{ name: 'id', type: 'int' }, { name: 'shape', type: 'geography' }]
  register('select * from [dbo].[places]', places, () => ({ columns: places, rows: [[1, SHAPE], [2, null]] }))
  server.on(
    "select s.name + '.' + t.name as name from sys.tables as t join sys.schemas as s on s.schema_id = t.schema_id " +
      'where t.is_ms_shipped = 0 order by 1',
    { columns: [{ name: 'name', type: 'nvarchar(257)' }], rows: [['dbo.matrix'], ['dbo.places']] },
  )
  server.on(/\[dbo\]\.\[nope\]/, {
    error: [
      { number: 208, message: "Invalid object name 'dbo.nope'." },
      {
        number: 11529,
        message:
          'The metadata could not be determined because every code path results in an error; see previous errors for some of these.',
      },
    ],
  })
  // The wrapper puts the query in a derived table, where SQL Server refuses a bare ORDER BY.
  const ordered = 'select id, amount from dbo.big order by id'
  server.on(`exec sp_describe_first_result_set @tsql = N'${ordered}'`, describeReply(BIG_COLUMNS.slice(0, 2)))
  server.on(new RegExp(`from \\(${escapeRe(ordered)}\\) as \\[rivet_q\\]'$`), {
    error: {
      number: 1033,
      message: 'The ORDER BY clause is invalid in views, inline functions, derived tables, subqueries, ' +
        'and common table expressions, unless TOP, OFFSET or FOR XML is also specified.',
    },
  })
})

afterAll(async () => {
  await server.close()
})

function sourceBlock(port = server.port, extra = ''): string {
  return `source:\n  type: sqlserver\n  host: 127.0.0.1\n  port: ${port}\n  user: sa\n  password_env: ${PASSWORD_ENV}\n  database: test\n${extra}`
}

const env = { [PASSWORD_ENV]: PASSWORD }

// The source block names the double's port, known only once it has started.
const { config, exportOne } = localExports({ source: () => sourceBlock(), env })

describe('sqlserver type matrix', () => {
  let parquet: string

  beforeAll(async () => {
    parquet = await exportOne('matrix', '    table: dbo.matrix\n    format: parquet\n')
  }, SLOW)

  test('parquet: every value reads back exactly with hyparquet and DuckDB', async () => {
    await checkMatrixParquet(parquet, SQLSERVER_MATRIX)
  }, SLOW)

  test('parquet: the footer types', async () => {
    const { metadata } = await readWithHyparquet(parquet)
    const col = (name: string) => schemaShape(metadata, name)
    expect(col('id')).toEqual({ type: 'INT32', repetition_type: 'REQUIRED', converted_type: 'INT_32' })
    expect(col('c_tinyint')).toEqual({ type: 'INT32', repetition_type: 'OPTIONAL', converted_type: 'UINT_8' })
    expect(col('c_bigint')).toEqual({ type: 'INT64', repetition_type: 'OPTIONAL', converted_type: 'INT_64' })
    expect(col('c_dec5_2')).toEqual(decimalShape('INT32', 5, 2))
    expect(col('c_num38_10')).toEqual(decimalShape('FIXED_LEN_BYTE_ARRAY', 38, 10, 16))
    expect(col('c_money')).toEqual(decimalShape('FIXED_LEN_BYTE_ARRAY', 19, 4, 9))
    expect(col('c_smallmoney')).toEqual(decimalShape('INT64', 10, 4))
    expect(col('c_uuid')).toEqual(FOOTER.uuid)
    expect(col('c_time')).toMatchObject({
      type: 'INT64',
      logical_type: { type: 'TIME', isAdjustedToUTC: false, unit: 'MICROS' },
    })
    expect(col('c_datetime2')).toMatchObject({
      type: 'INT64',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: false, unit: 'MICROS' },
    })
    expect(col('c_dto')).toMatchObject({
      type: 'INT64',
      logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
    })
    expect(col('c_req')).toMatchObject({ type: 'BYTE_ARRAY', repetition_type: 'REQUIRED' })
    expect(metadata.num_rows).toBe(4n)
  })

  test('decimal, money and date/time columns are read as text (CAST or CONVERT), the rest as they are', () => {
    const select = server.queries.find((q) =>
      q.startsWith('select ') && q.includes(`from (${MATRIX_QUERY})`)
    )!
    for (const c of MATRIX) {
      const ref = escapeRe(`[rivet_q].[${c.name}]`)
      const expected = CONVERTED.includes(c.name)
        ? `(convert\\(varchar\\(\\d+\\), (switchoffset\\()?|cast\\((cast\\()?)${ref}.*? as \\[${c.name}\\]`
        : `(select |, )${ref}(,| from)`
      expect(select).toMatch(new RegExp(expected))
    }
    expect(select).toContain("switchoffset([rivet_q].[c_dto], '+00:00')")
    // Through the decimal: exact on SQL Server and on Babelfish, whose money text is not.
    expect(select).toContain('cast(cast([rivet_q].[c_money] as decimal(19,4)) as varchar(50)) as [c_money]')
    expect(select).toContain('cast(cast([rivet_q].[c_smallmoney] as decimal(10,4)) as varchar(50))')
    expect(select).toContain('cast([rivet_q].[c_date] as varchar(10)) as [c_date]')
  })

  test('csv: the exact text, under Bun, Deno and the binary', async () => {
    for (const runtime of ['bun', 'deno', 'binary'] as const) {
      const file = await exportOne('matrix_csv', '    table: dbo.matrix\n    format: csv\n', runtime)
      expect(readCsv(file)).toBe(expectedCsv())
    }
  }, SLOW)

  test('check: source and output types, lossy 100 ns types, the row estimate; writes nothing', async () => {
    const dir = tempDir()
    const file = config(dir, '  - name: matrix\n    table: dbo.matrix\n')
    const result = await rivet(['check', '-c', file, '--json'], { env })
    expect(result.code).toBe(0)
    const doc = JSON.parse(result.stdout)
    const [report] = doc.exports
    expect(report.estimated_rows).toBe(4)
    const byName = Object.fromEntries(report.columns.map((c: { name: string }) => [c.name, c]))
    expect(byName.c_tinyint).toMatchObject({
      source_type: 'tinyint',
      output_type: 'uint8',
      fidelity: 'exact',
    })
    expect(byName.c_money).toMatchObject({
      source_type: 'money',
      output_type: 'decimal(19,4)',
      fidelity: 'exact',
    })
    expect(byName.c_smallmoney).toMatchObject({ output_type: 'decimal(10,4)', fidelity: 'exact' })
    expect(byName.c_uuid).toMatchObject({ source_type: 'uniqueidentifier', output_type: 'uuid' })
    for (const name of ['c_datetime2', 'c_time', 'c_dto']) {
      expect(byName[name].fidelity).toBe('lossy')
      expect(byName[name].hint).toContain('100 ns')
    }
    expect(byName.c_datetime2).toMatchObject({ source_type: 'datetime2(7)', output_type: 'timestamp' })
    expect(byName.c_dto).toMatchObject({ source_type: 'datetimeoffset(7)', output_type: 'timestamptz' })
    for (const name of ['c_datetime2_3', 'c_time3', 'c_datetime', 'c_smalldatetime', 'c_date']) {
      expect(byName[name].fidelity).toBe('exact')
    }
    expect(byName.id.nullable).toBe(false)
    const text = await rivet(['check', '-c', file], { env })
    expect(text.stdout).toMatch(/c_datetime2 +datetime2\(7\) +-> timestamp +lossy/)
    expect(listFiles(dir)).toEqual(['rivet.yaml'])
  }, SLOW)
})

describe('sqlserver streaming', () => {
  test('100k rows stream through, paused by the reader; every row arrives', async () => {
    const file = await exportOne(
      'big',
      '    query: select id, amount, label from dbo.big\n    format: parquet\n    row_group_size: 20000\n',
    )
    const [stats] = await duck(
      `select count(*)::varchar as n, sum(id)::varchar as ids, sum(amount)::varchar as total,
              count(amount)::varchar as amounts, max(label) as last
         from read_parquet('${file}')`,
    )
    // sum of i * 123.45 over i not divisible by 10, computed exactly here.
    let cents = 0n
    for (let i = 1n; i <= 100_000n; i++) if (i % 10n !== 0n) cents += i * 12345n
    expect(stats).toEqual({
      n: '100000',
      ids: '5000050000',
      total: `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`,
      amounts: '90000',
      last: `label 99999 ${'x'.repeat(99999 % 40)}`,
    })
  }, SLOW)

  test('a bad value late in the stream fails the run and leaves no file', async () => {
    const dir = tempDir()
    const file = config(dir, '  - name: big_bad\n    query: select id, amount, label from dbo.big_bad\n')
    const result = await rivet(['run', '-c', file], { env })
    expect(result.code).toBe(3)
    const [error] = errorLines(result.stderr)
    expect(error.msg).toMatch(
      /column "amount" \(decimal\(18,2\) -> decimal\(18,2\)\): "not a number" is not a decimal/,
    )
    expect(listFiles(dir)).toEqual(['rivet.yaml'])
  }, SLOW)
})

describe('sqlserver source: backpressure and cancel', () => {
  test('a slow reader holds the server back; cancelling stops the result on the server', async () => {
    const total = 200_000
    const drains = server.drainWaits
    let produced = 0
    const columns: TdsColumn[] = [{ name: 'id', type: 'int', nullable: false }, {
      name: 'label',
      type: 'nvarchar(2000)',
    }]
    register('select id, label from dbo.wide', columns, () => ({
      columns,
      rows: (function* () {
        for (let i = 1; i <= total; i++, produced++) yield [i, `${i} ${'w'.repeat(1000)}`]
      })(),
    }))
    const source = new SqlServerSource({
      host: '127.0.0.1',
      port: server.port,
      user: 'sa',
      password: new Secret(PASSWORD),
      database: 'test',
      tls: 'disable',
      target: `127.0.0.1:${server.port}/test`,
    })
    try {
      const query = 'select id, label from dbo.wide'
      const described = await source.describe(query)
      const planned = described.map((c) => ({
        name: c.name,
        sourceType: c.sourceType,
        type: c.type!,
        nullable: true,
      }))
      const reader = source.read({ query, columns: planned }, { rows: 2000, bytes: 64 * 1024 * 1024 })
        .getReader()
      let read = 0
      while (read < 40_000) {
        const { value } = await reader.read()
        read += value!.length
        // A slow encoder: ~13k rows/s, slower than the double sends them.
        await new Promise((resolve) => setTimeout(resolve, 150))
        // What the server got ahead by sits in socket buffers: tens of MB of these 2 KB rows at
        // most, never the 400 MB result.
        expect(produced - read).toBeLessThan(30_000)
      }
      expect(produced).toBeLessThan(total)
      // The double's writes waited for rivet to read: the pause reached the server through TCP.
      expect(server.drainWaits).toBeGreaterThan(drains)
      const cancels = server.cancels
      await reader.cancel()
      for (let i = 0; i < 100 && server.cancels === cancels; i++) await new Promise((r) => setTimeout(r, 50))
      expect(server.cancels).toBe(cancels + 1)
      expect(produced).toBeLessThan(total)
      // The connection is usable again after the cancel.
      expect((await source.describe(MATRIX_QUERY)).map((c) => c.name)).toEqual(MATRIX.map((c) => c.name))
    } finally {
      await source.close()
    }
  }, SLOW)
})

describe('sqlserver init', () => {
  test(
    'init writes a config from the live schema, with the override a CLR column needs; it runs',
    async () => {
      const dir = tempDir()
      const output = join(dir, 'rivet.yaml')
      const urlEnv = { RIVET_TEST_DOUBLE_URL: `sqlserver://sa:${PASSWORD}@127.0.0.1:${server.port}/test` }
      const init = await rivet(['init', '--source-env', 'RIVET_TEST_DOUBLE_URL', '-o', output], {
        env: urlEnv,
      })
      expect(init.code).toBe(0)
      const text = readFileSync(output, 'utf8')
      expect(text).toContain('  type: sqlserver\n  url_env: RIVET_TEST_DOUBLE_URL\n')
      expect(text).toContain('  - name: matrix\n    table: dbo.matrix\n')
      expect(text).toContain(
        '  - name: places\n    table: dbo.places\n    columns:\n      shape: "bytes"   # geography: cast it in a query',
      )
      expect(text).not.toContain(PASSWORD)
      const run = await rivet(['run', '-c', output, '-e', 'places'], { env: urlEnv })
      expect(run.code).toBe(0)
      const file = listFiles(join(dir, 'out', 'places')).find((f) => f.endsWith('.parquet'))!
      const rows = await duck(
        `select id, lower(hex(shape)) as shape from read_parquet('${
          join(dir, 'out', 'places', file)
        }') order by id`,
      )
      expect(rows).toEqual([{ id: 1, shape: Buffer.from(SHAPE).toString('hex') }, { id: 2, shape: null }])
    },
    SLOW,
  )
})

describe('sqlserver errors', () => {
  interface Case extends ExpectedError {
    name: string
    exports?: string
    source?: () => string
    env?: Record<string, string>
  }

  const matrixExport = '  - name: matrix\n    table: dbo.matrix\n'

  async function closedPort(): Promise<number> {
    const probe = createServer().listen(0, '127.0.0.1')
    await new Promise((resolve) => probe.once('listening', resolve))
    const port = (probe.address() as { port: number }).port
    await new Promise((resolve) => probe.close(resolve))
    return port
  }

  const cases: Case[] = [
    {
      name: 'a wrong password is an auth error naming host:port, never the password',
      exports: matrixExport,
      env: { [PASSWORD_ENV]: 'wrong-planted-password' },
      exit: 4,
      code: 'AUTH_FAILED',
      message:
        /^SQL Server at 127\.0\.0\.1:\d+\/test rejected the login: Login failed for user 'sa'; check the user/,
    },
    {
      name: 'a database the login cannot open: the first login error (4060) names it, not "Login failed"',
      exports: matrixExport,
      source: () => sourceBlock().replace('database: test', 'database: nope'),
      exit: 4,
      code: 'AUTH_FAILED',
      message:
        /^SQL Server at 127\.0\.0\.1:\d+\/nope rejected the login: Cannot open database "nope" requested by the login\. The login failed; check source\.database and that the login may open it$/,
    },
    {
      name: 'bad SQL is a source error with the server message',
      exports: '  - name: nope\n    table: dbo.nope\n',
      exit: 3,
      code: 'SOURCE_QUERY',
      message: /^SQL Server at 127\.0\.0\.1:\d+\/test: Invalid object name 'dbo\.nope' \(error 208\)$/,
    },
    {
      name: 'an unsupported type stops the run with the cast to use',
      exports: '  - name: places\n    table: dbo.places\n',
      exit: 3,
      code: 'UNSUPPORTED_TYPE',
      message:
        /column "shape" \(geography\): cast it in a query, e\.g\. \[shape\]\.STAsText\(\) as \[shape\]/,
    },
    {
      name: 'a query that cannot be wrapped says why and what to change',
      exports: '  - name: ordered\n    query: select id, amount from dbo.big order by id\n',
      exit: 3,
      code: 'SOURCE_QUERY',
      message:
        /The ORDER BY clause is invalid .* \(error 1033\); rivet reads decimal, money and date\/time columns .* add OFFSET 0 ROWS/,
    },
    {
      name: 'tls require against a server without encryption is a TLS error',
      exports: matrixExport,
      source: () => sourceBlock(server.port, '  tls: { mode: require }\n'),
      exit: 3,
      code: 'SOURCE_TLS',
      message: /^TLS to SQL Server at 127\.0\.0\.1:\d+\/test failed: .*check source\.tls/,
    },
  ]

  for (const c of cases) {
    test(c.name, async () => {
      const dir = tempDir()
      const file = config(dir, c.exports ?? matrixExport, c.source?.() ?? sourceBlock())
      const result = await rivet(['run', '-c', file, '--json'], { env: c.env ?? env })
      expectRunError(result, c)
      expect(result.stdout + result.stderr).not.toContain('wrong-planted-password')
      expect(result.stdout + result.stderr).not.toContain(PASSWORD)
      expect(listFiles(dir)).toEqual(['rivet.yaml'])
    }, SLOW)
  }

  test('an unreachable port is a source error naming host:port', async () => {
    const port = await closedPort()
    const dir = tempDir()
    const result = await rivet(['run', '-c', config(dir, matrixExport, sourceBlock(port))], { env })
    expect(result.code).toBe(3)
    const [error] = errorLines(result.stderr)
    expect(error).toMatchObject({ code: 'SOURCE_UNREACHABLE', exit: 3 })
    expect(error.msg).toBe(
      `cannot connect to SQL Server at 127.0.0.1:${port}/test: connection refused; check host, port and that the server is running`,
    )
    expect(listFiles(dir)).toEqual(['rivet.yaml'])
  }, SLOW)

  test('the refused login reached the server; the password was checked there', () => {
    expect(server.failedLogins).toBeGreaterThan(0)
  })
})
