/**
 * Each engine names a connection lost under a query SOURCE_CONNECTION_LOST (exit 3), which a
 * chunked export retries on a new connection (tests/resilience/chunks.test.ts proves it end to end
 * for PostgreSQL and MariaDB behind Toxiproxy). Here: the error shapes each driver reports for it,
 * and errors that must not be taken for it (a query error, a refused login).
 */
import { describe, expect, test } from 'bun:test'
import { mysqlError } from '../../src/sources/mysql/errors.ts'
import { pgError } from '../../src/sources/postgres/errors.ts'
import { sqlServerError } from '../../src/sources/sqlserver/errors.ts'

const TARGET = 'db:1/x'

describe('a lost connection is SOURCE_CONNECTION_LOST', () => {
  test('PostgreSQL (postgres.js): a closed socket, SQLSTATE 08xxx, an administrator shutdown', () => {
    for (const code of ['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'EPIPE', '08006', '57P01']) {
      const error = pgError(
        { code, message: 'gone', severity: code.length === 5 ? 'FATAL' : undefined },
        TARGET,
      )
      expect(error).toMatchObject({ code: 'SOURCE_CONNECTION_LOST', exit: 3 })
      expect(error.message).toBe('PostgreSQL at db:1/x: the connection was lost: gone')
    }
    expect(pgError({ code: '42P01', message: 'no table', severity: 'ERROR' }, TARGET).code).toBe(
      'SOURCE_QUERY',
    )
    expect(pgError({ code: '28P01', message: 'bad password', severity: 'FATAL' }, TARGET).code).toBe(
      'AUTH_FAILED',
    )
  })

  test('MySQL/MariaDB (mysql2): connection lost, broken pipe, server shutdown', () => {
    for (const code of ['PROTOCOL_CONNECTION_LOST', 'EPIPE', 'ER_SERVER_SHUTDOWN']) {
      expect(mysqlError({ code, message: 'gone' }, TARGET)).toMatchObject({
        code: 'SOURCE_CONNECTION_LOST',
        exit: 3,
      })
    }
    expect(
      mysqlError({ code: 'ER_NO_SUCH_TABLE', errno: 1146, sqlState: '42S02', message: 'x' }, TARGET).code,
    )
      .toBe('SOURCE_QUERY')
  })

  test('SQL Server (tedious): a socket error after the connection was made', () => {
    const lost = sqlServerError({ code: 'ESOCKET', message: 'Connection lost - read ECONNRESET' }, TARGET)
    expect(lost).toMatchObject({ code: 'SOURCE_CONNECTION_LOST', exit: 3 })
    // Before the connection is made it is a server that cannot be reached.
    const refused = sqlServerError(
      { code: 'ESOCKET', message: 'Failed to connect to db:1 - ECONNREFUSED' },
      TARGET,
    )
    expect(refused.code).toBe('SOURCE_UNREACHABLE')
    expect(sqlServerError({ number: 208, message: 'Invalid object name' }, TARGET).code).toBe('SOURCE_QUERY')
  })
})
