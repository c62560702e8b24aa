/**
 * The SQL Server source against a real TDS server: by default Babelfish for PostgreSQL, which
 * scripts/services.sh starts on 127.0.0.1:1433 (md5 logins, TLS with a self-signed certificate
 * under the services run directory); RIVET_TEST_MSSQL_URL=sqlserver://user:<password>@host:1433/db
 * points it at any other server, a real SQL Server included (a scratch database: the suite's
 * dbo.rivet_* tables are dropped and recreated; RIVET_TEST_MSSQL_CA names the CA of its
 * certificate for the verify-full test).
 *
 * The suite asks the server what it is (`@@version`) and expects SQL Server's answers, except
 * where Babelfish is known to differ: each such difference is one named entry of
 * {@link BABELFISH_DEVIATIONS}, applied on Babelfish only, so any other difference fails.
 *
 * The TDS test double (tests/helpers/tds-server.ts, tests/sources/sqlserver.test.ts) stays for
 * what no real server can be made to do: protocol edge cases and faults.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { spawn } from 'node:child_process'
import { readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { Connection, Request, TYPES } from 'tedious'
import { errorLines, expectRunError, rivet, ROOT } from '../helpers/cli.ts'
import { listFiles, tempDir } from '../helpers/files.ts'
import { checkMatrixParquet, localExports, readCsv } from '../helpers/matrix.ts'
import { expectedCsv, matrixTableSql, SQLSERVER_MATRIX } from '../helpers/mssql-matrix.ts'
import { duck, readHyparquetRaw } from '../helpers/parquet.ts'

const URL_ENV = 'RIVET_TEST_MSSQL_URL'
/** Babelfish as scripts/services.sh starts it (the login and password of its start.sh). */
const BABELFISH_URL = 'sqlserver://bbf:Bbf-test-pass1@127.0.0.1:1433/rivet_test'
const own = process.env[URL_ENV]
const url = new URL(own || BABELFISH_URL)
const database = decodeURIComponent(url.pathname.slice(1))
const PASSWORD_ENV = 'RIVET_TEST_MSSQL_PASSWORD'
const env = { [URL_ENV]: url.href, [PASSWORD_ENV]: decodeURIComponent(url.password) }
/** The CA of the server's certificate: services.sh's self-signed one for Babelfish. */
const CA = process.env.RIVET_TEST_MSSQL_CA ??
  (own ? undefined : join(process.env.RIVET_TEST_RUN ?? '/tmp/rivet-services', 'babelfish-tls', 'server.crt'))
const SLOW = 120_000
const BIG_ROWS = 1_000_000

/** A parameter of {@link mssql}: a string goes as nvarchar(max), bytes as varbinary(max). */
type Param = string | Uint8Array

/**
 * Runs T-SQL on the server (in `db`, default the URL's), as the test's own setup; returns the
 * rows. Parameters are @p0, @p1, ... (sp_executesql).
 */
async function mssql(sql: string, db = database, params: Param[] = []): Promise<unknown[][]> {
  const encrypt = url.searchParams.get('sslmode') === 'require'
  const connection = new Connection({
    server: url.hostname,
    authentication: {
      type: 'default',
      options: { userName: decodeURIComponent(url.username), password: decodeURIComponent(url.password) },
    },
    options: {
      port: Number(url.port || 1433),
      database: db,
      encrypt,
      trustServerCertificate: encrypt,
      // Making the 1M-row table can take longer than tedious's default 15 s on a loaded machine.
      requestTimeout: SLOW,
    },
  })
  await new Promise<void>((resolve, reject) => connection.connect((e) => e ? reject(e) : resolve()))
  try {
    return await new Promise((resolve, reject) => {
      const rows: unknown[][] = []
      const request = new Request(sql, (e) => e ? reject(e) : resolve(rows))
      request.on('row', (columns: { value: unknown }[]) => rows.push(columns.map((c) => c.value)))
      params.forEach((p, i) => {
        const type = typeof p === 'string' ? TYPES.NVarChar : TYPES.VarBinary
        request.addParameter(`p${i}`, type, typeof p === 'string' ? p : Buffer.from(p), { length: Infinity })
      })
      if (params.length) connection.execSql(request)
      else connection.execSqlBatch(request)
    })
  } finally {
    connection.close()
  }
}

let version = ''
const isBabelfish = () => version.includes('Babelfish')

/**
 * Babelfish 4.3's known differences from SQL Server, each with what SQL Server answers and what
 * Babelfish answers. The suite expects the second on Babelfish and the first everywhere else.
 */
const BABELFISH_DEVIATIONS = {
  /** time(7) keeps microseconds and rounds: 23:59:59.9999999 reads back as 24:00:00. */
  timeRoundsToMidnight: {
    csv: ['9999-12-31,23:59:59.999999,23:59:59.999000', '9999-12-31,24:00:00.000000,23:59:59.999000'],
    parquetMicros: ['86399999999', '86400000000'],
  },
  /** sys.partitions keeps no row counts: the estimate `check` reads is 0, not the table's 4. */
  noCatalogRowCounts: { estimate: [4, 0] },
  /**
   * A database that does not exist: SQL Server refuses the login with 4060 "Cannot open
   * database" (the same for a database the login may not open: exit 4); Babelfish says 911
   * "does not exist" (exit 3).
   */
  /**
   * An attention (tedious's cancel) during a running query: SQL Server stops the query and
   * acknowledges; Babelfish acts on it only once the query is done (tedious gives up after 5 s),
   * and the query ends when the client closes the connection. It is why the Ctrl-C test checks
   * that the query is gone from the server, not how it went.
   */
  attentionIgnored: true,
  /**
   * sp_describe_first_result_set of a datetime2(7), time(7) or datetimeoffset(7) column:
   * SQL Server says scale 7 (rivet: lossy, the 100 ns digit goes); Babelfish says scale 6 and a
   * type name without it (it keeps microseconds only: nothing is lost).
   */
  describesMicroseconds: {
    datetime2: [
      { source_type: 'datetime2(7)', output_type: 'timestamp', fidelity: 'lossy' },
      { source_type: 'datetime2', output_type: 'timestamp', fidelity: 'exact' },
    ],
  },
  missingDatabase: {
    exit: [4, 3],
    code: ['AUTH_FAILED', 'SOURCE_NO_DATABASE'],
    message: [
      /Cannot open database "rivet_no_such_db"/,
      /database "rivet_no_such_db" does not exist \(error 911\)/,
    ],
  },
} as const

/** SQL Server's answer, or Babelfish's on Babelfish. */
function expected<A, B>(pair: readonly [A, B]): A | B {
  return isBabelfish() ? pair[1] : pair[0]
}

function matrixCsvHere(): string {
  const [sqlServer, babelfish] = BABELFISH_DEVIATIONS.timeRoundsToMidnight.csv
  const csv = expectedCsv()
  expect(csv).toContain(sqlServer)
  return isBabelfish() ? csv.replace(sqlServer, babelfish) : csv
}

function matrixHere() {
  const micros = expected(BABELFISH_DEVIATIONS.timeRoundsToMidnight.parquetMicros)
  const rows = SQLSERVER_MATRIX.rows.map((row, i) => i === 2 ? { ...row, c_time: micros } : row)
  return { ...SQLSERVER_MATRIX, rows }
}

const { config, exportOne } = localExports({
  source: `source:\n  type: sqlserver\n  url_env: ${URL_ENV}\n`,
  env,
})

/** A source block with host, port and user, for settings a URL does not carry. */
function hostSource(extra = '', db = database): string {
  return `source:\n  type: sqlserver\n  host: ${url.hostname}\n  port: ${url.port || 1433}\n` +
    `  user: ${
      decodeURIComponent(url.username)
    }\n  password_env: ${PASSWORD_ENV}\n  database: ${db}\n${extra}`
}

function run(dir: string, exports: string, block?: string, extraEnv: Record<string, string> = {}) {
  return rivet(['run', '-c', config(dir, exports, block), '--json'], { env: { ...env, ...extraEnv } })
}

// Pattern values of several MB: non-ASCII and a surrogate pair in the text, every byte value in the binary.
const LOB_TEXT_UNIT = 'abc\u00e9\u20ac\u{1F600}'
const LOB_TEXT_REPEAT = 500_000
const LOB_BYTES = 4 * 1024 * 1024

beforeAll(async () => {
  if (!own) {
    await mssql(`if db_id(N'${database}') is null create database ${database}`, 'master').catch((e) => {
      throw new Error(
        `no Babelfish on ${url.host} (${e.message}): run scripts/services.sh, which starts it from ` +
          `../shared/babelfish, or set ${URL_ENV} to another server`,
      )
    })
  }
  version = String((await mssql('select @@version'))[0][0])
  console.log(`real SQL Server suite against: ${version.split('\n')[0]}`)
  await mssql(matrixTableSql('dbo.rivet_matrix'))
  // 1M narrow rows made on the server from a digits cross join (~10 s on Babelfish); kept when
  // they are already there.
  const [[exists]] = await mssql(`select count(*) from sys.tables where name = 'rivet_big'`)
  const count = Number(exists) ? (await mssql('select count_big(*) from dbo.rivet_big'))[0][0] : 0
  if (Number(count) !== BIG_ROWS) {
    const started = performance.now()
    await mssql(`
      if object_id(N'dbo.rivet_big') is not null drop table dbo.rivet_big;
      create table dbo.rivet_big (id bigint not null primary key, n int, x float, amount decimal(12,2),
        label varchar(24), flag bit, created_at datetime2(6), day date);
      with d as (select v from (values (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) as t(v)),
      s as (select a.v + 10 * b.v + 100 * c.v + 1000 * e.v + 10000 * f.v + 100000 * g.v + 1 as i
        from d a cross join d b cross join d c cross join d e cross join d f cross join d g)
      insert into dbo.rivet_big
      select i, i % 100000, i * 0.37, cast((i % 10000000) / 100.0 as decimal(12,2)),
        'label-' + cast(cast(i as bigint) * 7919 % 1000003 as varchar(10)), case when i % 3 = 0 then 1 else 0 end,
        dateadd(microsecond, i % 1000000, dateadd(second, i, cast('2020-01-01' as datetime2(6)))),
        dateadd(day, i % 10000, cast('2000-01-01' as date))
      from s;`)
    console.log(`dbo.rivet_big: ${BIG_ROWS} rows made in ${Math.round(performance.now() - started)} ms`)
  }
}, SLOW)

describe(`real SQL Server (${own ? URL_ENV : 'Babelfish from scripts/services.sh'})`, () => {
  test("the server says what it is, so the expectations are that server's", () => {
    expect(version).toMatch(/Microsoft SQL Server|Babelfish/)
    if (!own) expect(version).toMatch(/\(Babelfish 4\.3\.\d+\)/)
  })

  test('parquet: every value reads back exactly with hyparquet and DuckDB', async () => {
    await checkMatrixParquet(await exportOne('matrix', '    table: dbo.rivet_matrix\n'), matrixHere())
  }, SLOW)

  test('csv: the exact text (money extremes exact on both servers, through decimal(19,4))', async () => {
    const file = await exportOne('matrix_csv', '    table: dbo.rivet_matrix\n    format: csv\n')
    const csv = readCsv(file)
    expect(csv).toContain(',-922337203685477.5808,-214748.3648,')
    expect(csv).toContain(',922337203685477.5807,214748.3647,')
    expect(csv).toBe(matrixCsvHere())
  }, SLOW)

  test('a query with ORDER BY ... OFFSET reads through the converting wrapper', async () => {
    const file = await exportOne(
      'ordered',
      '    query: select * from dbo.rivet_matrix order by id offset 0 rows\n    format: csv\n',
    )
    expect(readCsv(file)).toBe(matrixCsvHere())
  }, SLOW)

  test('check: datetime2(7) fidelity and the estimate from the catalog row count', async () => {
    const dir = tempDir()
    const result = await rivet([
      'check',
      '-c',
      config(dir, '  - name: matrix\n    table: dbo.rivet_matrix\n'),
      '--json',
    ], {
      env,
    })
    expect(result.code).toBe(0)
    const [report] = JSON.parse(result.stdout).exports
    expect(report.estimated_rows).toBe(expected(BABELFISH_DEVIATIONS.noCatalogRowCounts.estimate))
    const datetime2 = report.columns.find((c: { name: string }) => c.name === 'c_datetime2')
    expect(datetime2).toMatchObject(expected(BABELFISH_DEVIATIONS.describesMicroseconds.datetime2))
  }, SLOW)

  test('a wrong password: exit 4, one line naming the server, no password, nothing written', async () => {
    const dir = tempDir()
    const result = await run(dir, '  - name: matrix\n    table: dbo.rivet_matrix\n', hostSource(), {
      [PASSWORD_ENV]: 'not-the-password-9',
    })
    expectRunError(result, {
      exit: 4,
      code: 'AUTH_FAILED',
      message: new RegExp(
        `^SQL Server at ${url.hostname}:${url.port || 1433}/${database} rejected the login: .*Login failed`,
      ),
    })
    expect(result.stderr + result.stdout).not.toContain('not-the-password-9')
    expect(listFiles(join(dir, 'out'))).toEqual([])
  }, SLOW)

  test('a database that does not exist: one line naming it', async () => {
    const dir = tempDir()
    const result = await run(
      dir,
      '  - name: matrix\n    table: dbo.rivet_matrix\n',
      hostSource('', 'rivet_no_such_db'),
    )
    const deviation = BABELFISH_DEVIATIONS.missingDatabase
    expectRunError(result, {
      exit: expected(deviation.exit),
      code: expected(deviation.code),
      message: expected(deviation.message),
    })
    expect(listFiles(join(dir, 'out'))).toEqual([])
  }, SLOW)

  describe('TLS', () => {
    const tlsExport = '  - name: tls\n    table: dbo.rivet_matrix\n    format: csv\n'

    test(
      'tls: require encrypts (tedious refuses a server that does not) and reads the same rows',
      async () => {
        const dir = tempDir()
        const result = await run(dir, tlsExport, hostSource('  tls: { mode: require }\n'))
        expect(result.code).toBe(0)
        const [file] = listFiles(join(dir, 'out', 'tls')).filter((f) => f.endsWith('.csv'))
        expect(readCsv(join(dir, 'out', 'tls', file))).toBe(matrixCsvHere())
      },
      SLOW,
    )

    test.skipIf(!CA)(
      'tls: verify-full with the CA file connects; without it the self-signed certificate is refused',
      async () => {
        const dir = tempDir()
        const ok = await run(dir, tlsExport, hostSource(`  tls: { mode: verify-full, ca_file: ${CA} }\n`))
        expect(ok.code).toBe(0)
        expect(listFiles(join(dir, 'out', 'tls')).filter((f) => f.endsWith('.csv'))).toHaveLength(1)
        if (own) return
        const refused = await run(tempDir(), tlsExport, hostSource('  tls: { mode: verify-full }\n'))
        expectRunError(refused, {
          exit: 3,
          code: 'SOURCE_TLS',
          message: /^TLS to SQL Server at .*self[- ]signed certificate/,
        })
      },
      SLOW,
    )
  })

  test(
    'Ctrl-C during a long query: exit 130 within seconds, nothing left, the server stops the query',
    async () => {
      const dir = tempDir()
      // ~10^12 rows: it never ends by itself.
      const file = config(
        dir,
        '  - name: long\n    format: csv\n    max_file_size: 256KB\n' +
          '    query: select a.id, b.label from dbo.rivet_big as a cross join dbo.rivet_big as b\n',
      )
      const child = spawn(process.execPath, [join(ROOT, 'mod.ts'), 'run', '-c', file], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...env },
      })
      const closed = new Promise<number | null>((resolve) => child.on('close', resolve))
      try {
        let stderr = ''
        child.stderr.on('data', (d) => stderr += d)
        const parts = () => listFiles(join(dir, 'out')).filter((f) => f.endsWith('.csv')).length
        const deadline = Date.now() + 30_000
        while (parts() < 1 && Date.now() < deadline) await Bun.sleep(100)
        expect(parts()).toBeGreaterThanOrEqual(1)
        // tedious sends its process id at login: the server's session of this very run.
        expect(await sessionsOf(child.pid!)).toBe(1)
        const interruptedAt = Date.now()
        child.kill('SIGINT')
        expect(await closed).toBe(130)
        expect(Date.now() - interruptedAt).toBeLessThan(10_000)
        expect(errorLines(stderr)[0]).toMatchObject({ code: 'INTERRUPTED', exit: 130 })
        expect(listFiles(dir)).toEqual(['rivet.yaml'])
        // The query stops on the server: SQL Server on the attention; Babelfish, which does not
        // act on one during a query (BABELFISH_DEVIATIONS.attentionIgnored), once rivet closes
        // the socket.
        const gone = Date.now() + 10_000
        while (await sessionsOf(child.pid!) > 0 && Date.now() < gone) await Bun.sleep(200)
        expect(await sessionsOf(child.pid!)).toBe(0)
      } finally {
        // A failed check must not leave the never-ending export running.
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
        await closed
      }
    },
    SLOW,
  )

  test(`${BIG_ROWS} rows stream to Parquet in flat memory, every row there`, async () => {
    const dir = tempDir()
    const started = performance.now()
    const result = await run(dir, '  - name: big\n    table: dbo.rivet_big\n')
    const seconds = (performance.now() - started) / 1000
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    console.log(`${BIG_ROWS} rows: ${seconds.toFixed(1)} s, peak RSS ${Math.round(result.peakKb / 1024)} MB`)
    // The rows never all sit in memory: 1M rows of this shape take ~150 MB as JS values.
    expect(result.peakKb).toBeGreaterThan(0)
    expect(result.peakKb).toBeLessThan(250 * 1024)
    const parts = listFiles(join(dir, 'out', 'big')).filter((f) => f.endsWith('.parquet'))
    const files = parts.map((f) => `'${join(dir, 'out', 'big', f)}'`).join(', ')
    const [got] = await duck(
      `select count(*)::varchar as n, count(distinct id)::varchar as d, sum(id)::varchar as ids, ` +
        `sum(amount)::varchar as amount, sum(n)::varchar as ns, max(created_at)::varchar as last, ` +
        `min(day)::varchar as first_day, sum(flag::int)::varchar as flags from read_parquet([${files}])`,
    )
    const [[ids, amount, ns, flags]] = await mssql(
      `select cast(sum(id) as varchar(30)), cast(sum(amount) as varchar(30)), cast(sum(cast(n as bigint)) as varchar(30)), ` +
        `cast(sum(cast(flag as int)) as varchar(30)) from dbo.rivet_big`,
    )
    expect(got).toEqual({
      n: String(BIG_ROWS),
      d: String(BIG_ROWS),
      ids,
      amount,
      ns,
      // id 1000000: 2020-01-01 + 1000000 s, and 0 microseconds (1000000 % 1000000).
      last: '2020-01-12 13:46:40',
      first_day: '2000-01-01',
      flags,
    })
  }, SLOW)

  test('nvarchar(max) and varbinary(max) values of several MB, exact in Parquet and CSV', async () => {
    const text = LOB_TEXT_UNIT.repeat(LOB_TEXT_REPEAT)
    const bytes = Uint8Array.from({ length: LOB_BYTES }, (_, i) => i % 256)
    // Sent as parameters: on Babelfish `+` of two varbinary values adds them as integers
    // (0x01 + 0x02 = 3) instead of concatenating, so the bytes cannot be built up in T-SQL there.
    await mssql(
      `if object_id(N'dbo.rivet_lob') is not null drop table dbo.rivet_lob;
      create table dbo.rivet_lob (id int not null, t nvarchar(max), b varbinary(max));
      insert into dbo.rivet_lob values (1, @p0, @p1), (2, N'', 0x);`,
      database,
      [text, bytes],
    )
    const parquet = await exportOne('lob', '    query: select id, t, b from dbo.rivet_lob\n')
    // Raw: with utf8 hyparquet would decode the plain byte array as text.
    const rows = await readHyparquetRaw(parquet)
    const byId = new Map(rows.map((r) => [Number(r.id), r]))
    expect(byId.size).toBe(2)
    const big = byId.get(1)!
    expect(typeof big.t).toBe('string')
    expect((big.t as string).length).toBe(text.length)
    expect(big.t === text).toBe(true)
    expect(Buffer.compare(Buffer.from(big.b as Uint8Array), Buffer.from(bytes))).toBe(0)
    expect(byId.get(2)).toMatchObject({ t: '' })
    expect((byId.get(2)!.b as Uint8Array).length).toBe(0)
    const csv = readCsv(
      await exportOne(
        'lob_csv',
        '    query: select id, t, b from dbo.rivet_lob where id = 1\n    format: csv\n',
      ),
    )
    expect(csv === `id,t,b\r\n1,${text},${Buffer.from(bytes).toString('hex')}\r\n`).toBe(true)
  }, SLOW)

  test('chunked: id ranges in parallel, every row once', async () => {
    const dir = tempDir()
    const result = await run(
      dir,
      '  - name: chunks\n    query: select id, amount, day from dbo.rivet_big where id <= 200000\n' +
        '    mode: chunked\n    chunk_column: id\n    chunk_size: 50000\n    parallel: 2\n',
    )
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('export chunks: 4 chunk(s) of 50000 id')
    expect(JSON.parse(result.stdout).exports[0].rows).toBe(200000)
    const out = join(dir, 'out', 'chunks')
    const files = listFiles(out).filter((f) => f.endsWith('.parquet')).map((f) => `'${join(out, f)}'`)
    expect(files.length).toBeGreaterThanOrEqual(4)
    const [got] = await duck(
      `select count(*)::varchar as n, count(distinct id)::varchar as d, min(id)::varchar as lo, max(id)::varchar as hi, ` +
        `sum(amount)::varchar as amount from read_parquet([${files.join(', ')}])`,
    )
    const [[amount]] = await mssql(
      'select cast(sum(amount) as varchar(30)) from dbo.rivet_big where id <= 200000',
    )
    expect(got).toEqual({ n: '200000', d: '200000', lo: '1', hi: '200000', amount })
  }, SLOW)

  test(
    'incremental: the second run exports only the rows past the cursor (a datetime2 parameter)',
    async () => {
      await mssql(`
      if object_id(N'dbo.rivet_inc') is not null drop table dbo.rivet_inc;
      create table dbo.rivet_inc (id int not null, updated_at datetime2(6) not null, v nvarchar(20));
      insert into dbo.rivet_inc values (1, '2026-01-01T00:00:00.000001', N'a'), (2, '2026-01-02T00:00:00', N'b'),
        (3, '2026-01-02T00:00:00.5', N'c');`)
      const dir = tempDir()
      const exports =
        '  - name: inc\n    table: dbo.rivet_inc\n    mode: incremental\n    cursor_column: updated_at\n    format: csv\n'
      const csvs = () => listFiles(join(dir, 'out', 'inc')).filter((f) => f.endsWith('.csv')).sort()
      const first = await run(dir, exports)
      expect(first.code).toBe(0)
      expect(JSON.parse(first.stdout).exports[0].rows).toBe(3)
      const [firstFile] = csvs()
      await mssql(
        `insert into dbo.rivet_inc values (4, '2026-01-02T00:00:00.500001', N'd'), (5, '2025-12-31', N'old')`,
      )
      const second = await run(dir, exports)
      expect(second.code).toBe(0)
      expect(JSON.parse(second.stdout).exports[0].rows).toBe(1)
      const newFile = csvs().find((f) => f !== firstFile)!
      expect(readCsv(join(dir, 'out', 'inc', newFile))).toBe(
        'id,updated_at,v\r\n4,2026-01-02T00:00:00.500001,d\r\n',
      )
    },
    SLOW,
  )

  test('init writes a config from the catalog that check accepts', async () => {
    const dir = tempDir()
    const path = join(dir, 'rivet.yaml')
    const result = await rivet(['init', '--source-env', URL_ENV, '-o', path], { env })
    expect(result.code).toBe(0)
    const yaml = readFileSync(path, 'utf8')
    expect(yaml).toContain(`url_env: ${URL_ENV}`)
    for (const table of ['rivet_big', 'rivet_inc', 'rivet_lob', 'rivet_matrix']) {
      expect(yaml).toContain(`  - name: ${table}\n    table: dbo.${table}\n`)
    }
    expect(statSync(path).size).toBeGreaterThan(0)
    const check = await rivet(['check', '-c', path, '-e', 'rivet_matrix', '--json'], { env })
    expect(check.code).toBe(0)
    expect(JSON.parse(check.stdout).exports[0].columns).toHaveLength(SQLSERVER_MATRIX.columns.length)
  }, SLOW)
})

/** How many sessions the rivet process `pid` has open on the server. */
async function sessionsOf(pid: number): Promise<number> {
  const [[n]] = await mssql(
    `select count(*) from sys.dm_exec_sessions where program_name = N'rivet' and host_process_id = ${pid}`,
  )
  return Number(n)
}
