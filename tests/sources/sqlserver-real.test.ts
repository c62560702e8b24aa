/**
 * The SQL Server type matrix against a real server, when there is one:
 * RIVET_TEST_MSSQL_URL=sqlserver://sa:<password>@host:1433/<database> (a scratch database; the
 * table dbo.rivet_matrix is dropped and recreated; add ?sslmode=require for an encrypted
 * connection). The same values and CSV as the suite against the TDS double: this is what shows
 * that the double's answers (the CONVERT text above all) are SQL Server's.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { Connection, Request } from 'tedious'
import { rivet } from '../helpers/cli.ts'
import { tempDir } from '../helpers/files.ts'
import { checkMatrixParquet, localExports, readCsv } from '../helpers/matrix.ts'
import { expectedCsv, matrixTableSql, SQLSERVER_MATRIX } from '../helpers/mssql-matrix.ts'

const URL_ENV = 'RIVET_TEST_MSSQL_URL'
const url = process.env[URL_ENV]
const SLOW = 120_000

/** Runs T-SQL on the server the URL names, as the test's own setup (not through rivet). */
async function mssqlExec(text: string, sql: string): Promise<void> {
  const u = new URL(text)
  const encrypt = u.searchParams.get('sslmode') === 'require'
  const connection = new Connection({
    server: u.hostname,
    authentication: {
      type: 'default',
      options: { userName: decodeURIComponent(u.username), password: decodeURIComponent(u.password) },
    },
    options: {
      port: Number(u.port || 1433),
      database: decodeURIComponent(u.pathname.slice(1)) || undefined,
      encrypt,
      trustServerCertificate: encrypt,
    },
  })
  await new Promise<void>((resolve, reject) => connection.connect((e) => e ? reject(e) : resolve()))
  try {
    await new Promise<void>((resolve, reject) => {
      connection.execSqlBatch(new Request(sql, (e) => e ? reject(e) : resolve()))
    })
  } finally {
    connection.close()
  }
}

const { config, exportOne } = localExports({ source: `source:\n  type: sqlserver\n  url_env: ${URL_ENV}\n` })

describe.skipIf(!url)(url ? 'real SQL Server' : `real SQL Server (skipped: set ${URL_ENV})`, () => {
  beforeAll(async () => {
    await mssqlExec(url!, matrixTableSql('dbo.rivet_matrix'))
  }, SLOW)

  test('parquet: every value reads back exactly with hyparquet and DuckDB', async () => {
    await checkMatrixParquet(await exportOne('matrix', '    table: dbo.rivet_matrix\n'), SQLSERVER_MATRIX)
  }, SLOW)

  test('csv: the exact text', async () => {
    const file = await exportOne('matrix_csv', '    table: dbo.rivet_matrix\n    format: csv\n')
    expect(readCsv(file)).toBe(expectedCsv())
  }, SLOW)

  test('a query with ORDER BY ... OFFSET reads through the converting wrapper', async () => {
    const file = await exportOne(
      'ordered',
      '    query: select * from dbo.rivet_matrix order by id offset 0 rows\n    format: csv\n',
    )
    expect(readCsv(file)).toBe(expectedCsv())
  }, SLOW)

  test('check: datetime2(7) is lossy, the estimate is the table row count', async () => {
    const dir = tempDir()
    const result = await rivet([
      'check',
      '-c',
      config(dir, '  - name: matrix\n    table: dbo.rivet_matrix\n'),
      '--json',
    ])
    expect(result.code).toBe(0)
    const [report] = JSON.parse(result.stdout).exports
    expect(report.estimated_rows).toBe(4)
    const datetime2 = report.columns.find((c: { name: string }) => c.name === 'c_datetime2')
    expect(datetime2).toMatchObject({
      source_type: 'datetime2(7)',
      output_type: 'timestamp',
      fidelity: 'lossy',
    })
  }, SLOW)
})
