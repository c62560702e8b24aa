/**
 * The TDS test double against tedious itself, without rivet: every type of the SQL Server matrix
 * in its native wire form decodes to the value tedious gives for it on a real server (mixed-endian
 * GUIDs, 1/300 s datetime ticks, UTC datetimeoffset, PLP (max) values over many packets, NULLs
 * through NBCROW), and logins, errors and cancels behave as tedious expects.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Connection, type ConnectionConfiguration, Request } from 'tedious'
import { MATRIX } from '../helpers/mssql-matrix.ts'
import { TdsServer } from '../helpers/tds-server.ts'

let server: TdsServer

beforeAll(async () => {
  server = await TdsServer.start({ user: 'sa', password: 'double-password' })
  server.on('select * from matrix', {
    columns: MATRIX,
    rows: [0, 1, 2, 3].map((r) => MATRIX.map((c) => c.values[r])),
  })
  server.on('select bad', { error: { number: 102, message: "Incorrect syntax near 'bad'." } })
  server.on(/^select n from numbers/, () => ({
    columns: [{ name: 'n', type: 'int' }],
    rows: (function* () {
      for (let i = 0; i < 1_000_000; i++) yield [i]
    })(),
  }))
})

afterAll(async () => {
  await server.close()
})

function config(password = 'double-password'): ConnectionConfiguration {
  return {
    server: '127.0.0.1',
    authentication: { type: 'default', options: { userName: 'sa', password } },
    options: { port: server.port, database: 'test', encrypt: false },
  }
}

async function connect(password?: string): Promise<Connection> {
  const connection = new Connection(config(password))
  await new Promise<void>((resolve, reject) => connection.connect((e) => e ? reject(e) : resolve()))
  return connection
}

type Column = { value: unknown; metadata: { colName: string } }

function run(connection: Connection, sql: string, onRow?: (row: Column[]) => void): Promise<Column[][]> {
  return new Promise((resolve, reject) => {
    const rows: Column[][] = []
    const request = new Request(sql, (error) => error ? reject(error) : resolve(rows))
    request.on('row', (columns: Column[]) => {
      rows.push(columns)
      onRow?.(columns)
    })
    connection.execSqlBatch(request)
  })
}

/** One value's check, named in the diff. */
function same(where: string, got: unknown, want: unknown): void {
  expect({ [where]: got }).toEqual({ [where]: want })
}

function hex(value: unknown): string {
  return Buffer.from(value as Uint8Array).toString('hex')
}

describe('tds double', () => {
  test('every matrix type decodes in tedious to the value it stands for', async () => {
    const connection = await connect()
    try {
      const rows = await run(connection, 'select * from matrix')
      expect(rows).toHaveLength(4)
      for (const [i, c] of MATRIX.entries()) {
        for (let r = 0; r < 4; r++) {
          const got = rows[r][i]
          expect(got.metadata.colName).toBe(c.name)
          const stored = c.values[r]
          const expected = c.expect[r]
          if (stored === null) {
            expect(got.value).toBeNull()
            continue
          }
          const where = `${c.name} row ${r + 1}`
          switch (c.kind) {
            case 'int':
              // tedious gives bigint as text, the others as numbers.
              same(where, got.value, c.type === 'bigint' ? expected : Number(expected))
              break
            case 'dec': {
              // tedious divides into a float; that it is close shows the digits and scale are right.
              const value = got.value as number
              const exact = Number(expected)
              same(where, Math.abs(value - exact) <= Math.abs(exact) * 1e-15, true)
              break
            }
            case 'float':
              same(where, got.value, c.type === 'real' ? Math.fround(stored as number) : stored)
              break
            case 'bytes':
              same(where, hex(got.value), expected)
              break
            case 'uuid':
              same(where, String(got.value).toLowerCase(), expected)
              break
            case 'date':
              same(where, (got.value as Date).getTime(), Number(expected) * 86_400_000)
              break
            case 'time':
            case 'ts': {
              // A Date holds milliseconds; tedious keeps the rest in `nanosecondsDelta`.
              const date = got.value as Date & { nanosecondsDelta?: number }
              const micros = BigInt(expected as string)
              same(where, date.getTime(), Number((micros - ((micros % 1000n) + 1000n) % 1000n) / 1000n))
              if (date.nanosecondsDelta !== undefined) {
                const belowMs = BigInt(Math.round(date.nanosecondsDelta * 1e7)) / 10n
                same(where, belowMs, ((micros % 1000n) + 1000n) % 1000n)
              }
              break
            }
            default:
              same(where, got.value, expected)
          }
        }
      }
    } finally {
      connection.close()
    }
  })

  test('time(7) keeps the 100 ns digit on the wire', async () => {
    const connection = await connect()
    try {
      const [row] = await run(connection, 'select * from matrix')
      const time = row[MATRIX.findIndex((c) => c.name === 'c_time')].value as Date & {
        nanosecondsDelta: number
      }
      // 12:34:56.7890123: .789 in the Date, 0.0000123 s beyond it.
      expect(Math.round(time.nanosecondsDelta * 1e7)).toBe(123)
    } finally {
      connection.close()
    }
  })

  test('a wrong password is refused with error 18456', async () => {
    const error = await connect('wrong-planted-password').then(() => undefined, (e) => e)
    expect(error).toMatchObject({ code: 'ELOGIN', message: "Login failed for user 'sa'." })
  })

  test('an error token fails the request and the connection goes on', async () => {
    const connection = await connect()
    try {
      const error = await run(connection, 'select bad').then(() => undefined, (e) => e)
      expect(error).toMatchObject({ code: 'EREQUEST', number: 102, message: "Incorrect syntax near 'bad'." })
      const unknown = await run(connection, 'select 42').then(() => undefined, (e) => e)
      expect(unknown.message).toContain('no reply for: select 42')
      expect(await run(connection, 'select * from matrix')).toHaveLength(4)
    } finally {
      connection.close()
    }
  })

  test('a cancel stops a long result with ATTENTION; the connection is usable after it', async () => {
    const connection = await connect()
    try {
      const cancels = server.cancels
      let seen = 0
      const error = await run(connection, 'select n from numbers', () => {
        if (++seen === 1000) connection.cancel()
      }).then(() => undefined, (e) => e)
      expect(error).toMatchObject({ code: 'ECANCEL' })
      expect(seen).toBeLessThan(1_000_000)
      expect(server.cancels).toBe(cancels + 1)
      expect(await run(connection, 'select * from matrix')).toHaveLength(4)
    } finally {
      connection.close()
    }
  })
})
