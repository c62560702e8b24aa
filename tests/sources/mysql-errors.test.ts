/**
 * MySQL/MariaDB errors a user can hit, through the CLI under Bun and Deno against the real
 * MariaDB on 127.0.0.1:3306: the exit code from the spec, one error line that names host and
 * port (never the password), the `--json` error document, and nothing left in the destination.
 * Then a password login that works, with the password nowhere in the debug output.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { type ExpectedError, expectRunError, rivet, type Runtime } from '../helpers/cli.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { MYSQL_URL, mysqlExec } from '../helpers/mysql.ts'
import { readWithHyparquet } from '../helpers/parquet.ts'

const SLOW = 60_000
/** Planted secrets (also in tests/helpers/planted.ts). */
const WRONG_PASSWORD = 'mysql-wrong-planted-password'
const URL_PASSWORD = 'mysql-hunter2-planted'
/** The real password of the MariaDB user `rivet_pw` (scripts/services.sh). */
const RIVET_PW_PASSWORD = 'rivet-test-password'

beforeAll(async () => {
  await mysqlExec(`
    drop table if exists rivet_mysql_small;
    create table rivet_mysql_small (id int not null primary key, label varchar(20));
    insert into rivet_mysql_small values (1, 'one'), (2, 'two'), (3, null);
    drop table if exists rivet_mysql_geo;
    create table rivet_mysql_geo (id int not null, place point);
    insert into rivet_mysql_geo values (1, point(1, 2)), (2, null);
  `)
})

interface Case extends ExpectedError {
  name: string
  source: string
  exports?: string
  env?: Record<string, string>
  command?: 'run' | 'check'
  /** Text that must not appear anywhere in the output (a planted secret). */
  secret?: string
}

const small = '  - name: small\n    table: rivet_mysql_small\n'
const local = `{ type: mysql, url: ${MYSQL_URL} }`
const pwLogin = (variable: string) =>
  `{ type: mysql, host: 127.0.0.1, port: 3306, user: rivet_pw, database: test, password_env: ${variable} }`

const cases: Case[] = [
  {
    name: 'a rejected password is an auth error that names host and port, not the password',
    source: pwLogin('RIVET_TEST_MYSQL_PW'),
    env: { RIVET_TEST_MYSQL_PW: WRONG_PASSWORD },
    exit: 4,
    code: 'AUTH_FAILED',
    message: /MySQL at 127\.0\.0\.1:3306\/test rejected the login .*Access denied for user 'rivet_pw'/,
    secret: WRONG_PASSWORD,
  },
  {
    name: 'an unknown user is an auth error',
    source: '{ type: mysql, url: "mysql://no_such_user_x@127.0.0.1:3306/test" }',
    exit: 4,
    code: 'AUTH_FAILED',
    message: /MySQL at 127\.0\.0\.1:3306\/test rejected the login .*Access denied for user 'no_such_user_x'/,
  },
  {
    name: 'an unreachable port names host and port, not the password',
    source: '{ type: mysql, url_env: RIVET_TEST_MYSQL_URL_X }',
    env: { RIVET_TEST_MYSQL_URL_X: `mysql://root:${URL_PASSWORD}@127.0.0.1:1/test` },
    exit: 3,
    code: 'SOURCE_UNREACHABLE',
    message: /cannot connect to MySQL at 127\.0\.0\.1:1\/test: connection refused/,
    secret: URL_PASSWORD,
  },
  {
    name: 'bad SQL is a source error',
    source: local,
    exports: '  - name: bad\n    query: selec 1\n',
    exit: 3,
    code: 'SOURCE_QUERY',
    message: /MySQL at 127\.0\.0\.1:3306\/test: You have an error in your SQL syntax.*'selec 1'/,
  },
  {
    name: 'a missing table is a source error',
    source: local,
    exports: '  - name: gone\n    table: no_such_table_here\n',
    exit: 3,
    code: 'SOURCE_QUERY',
    message: /MySQL at 127\.0\.0\.1:3306\/test: Table 'test\.no_such_table_here' doesn't exist/,
  },
  {
    name: 'tls require against a server without TLS says so',
    source: `{ type: mysql, url: ${MYSQL_URL}, tls: { mode: require } }`,
    exit: 3,
    code: 'SOURCE_TLS',
    message: /TLS to MySQL at 127\.0\.0\.1:3306\/test failed: the server does not support TLS/,
  },
  {
    name: 'an unsupported type names the column, the cast and the override',
    source: local,
    exports: '  - name: geo\n    table: rivet_mysql_geo\n',
    exit: 3,
    code: 'UNSUPPORTED_TYPE',
    message:
      /export geo: column "place" \(point\): cast it in a query, e\.g\. ST_AsText\(`place`\) as `place` \(WKT\).*columns: \{ place: bytes \}/,
  },
  {
    name: 'check stops on an unsupported type too',
    command: 'check',
    source: local,
    exports: '  - name: geo\n    table: rivet_mysql_geo\n',
    exit: 3,
    code: 'UNSUPPORTED_TYPE',
    message: /export geo: 1 column\(s\) cannot be exported exactly, first "place" \(point\): cast it/,
  },
]

const runtimes: Runtime[] = ['bun', 'deno']

describe.each(runtimes)('mysql errors on %s', (runtime) => {
  for (const c of cases) {
    test(c.name, async () => {
      const dir = tempDir()
      const config = writeConfig(
        dir,
        `source: ${c.source}\ndestination: { type: local, path: ${join(dir, 'out')} }\nexports:\n${
          c.exports ?? small
        }`,
      )
      const result = await rivet([c.command ?? 'run', '-c', config, '--json'], { runtime, env: c.env })
      expectRunError(result, c)
      expect(listFiles(dir)).toEqual(['rivet.yaml'])
      if (c.secret) {
        expect(result.stdout + result.stderr).not.toContain(c.secret)
        expect(result.stdout + result.stderr).toContain('127.0.0.1')
      }
    }, SLOW)
  }

  test('a password login through password_env works and the password is never printed', async () => {
    const dir = tempDir()
    const config = writeConfig(
      dir,
      `source: ${pwLogin('RIVET_TEST_MYSQL_PW')}\ndestination: { type: local, path: ${
        join(dir, 'out')
      } }\nexports:\n${small}`,
    )
    const env = { RIVET_TEST_MYSQL_PW: RIVET_PW_PASSWORD }
    const result = await rivet(['run', '-c', config, '--json', '--log-level', 'debug'], { runtime, env })
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('"level":"debug"')
    expect(JSON.parse(result.stdout)).toMatchObject({
      status: 'succeeded',
      exports: [{ name: 'small', rows: 3 }],
    })
    const check = await rivet(['check', '-c', config, '--json', '--log-level', 'debug'], { runtime, env })
    expect(check.code).toBe(0)
    for (const output of [result.stdout, result.stderr, check.stdout, check.stderr]) {
      expect(output).not.toContain(RIVET_PW_PASSWORD)
    }
    const files = listFiles(join(dir, 'out', 'small'))
    expect(files.filter((f) => f.endsWith('.parquet'))).toHaveLength(1)
    const { rows } = await readWithHyparquet(
      join(dir, 'out', 'small', files.find((f) => f.endsWith('.parquet'))!),
    )
    expect(rows).toEqual([{ id: 1, label: 'one' }, { id: 2, label: 'two' }, { id: 3, label: null }])
  }, SLOW)
})

describe('mysql: an unsupported type with an override', () => {
  test('geometry with a bytes override exports the server bytes (SRID + WKB)', async () => {
    const dir = tempDir()
    const config = writeConfig(
      dir,
      `source: ${local}\ndestination: { type: local, path: ${join(dir, 'out')} }\nexports:\n` +
        '  - name: geo\n    query: select * from rivet_mysql_geo order by id\n    format: csv\n' +
        '    columns: { place: bytes }\n',
    )
    const result = await rivet(['run', '-c', config])
    expect(result.code).toBe(0)
    const csv = listFiles(join(dir, 'out', 'geo')).find((f) => f.endsWith('.csv'))!
    // SRID 0, then WKB: little-endian, type 1 (point), x = 1.0, y = 2.0.
    expect(await Bun.file(join(dir, 'out', 'geo', csv)).text()).toBe(
      'id,place\r\n1,000000000101000000000000000000f03f0000000000000040\r\n2,\r\n',
    )
  }, SLOW)
})
