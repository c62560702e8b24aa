/**
 * `rivet check --offline`: the config alone. It validates keys, types and the files the config
 * names, lists the `${NAME}` placeholders and `*_env` variables a run would need, and opens no
 * connection: the source and the store point at a listener here that counts every connection.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { errorLines, expectRunError, rivet } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'

let listener: Server
let port = 0
let connections = 0

beforeAll(async () => {
  listener = createServer((socket) => {
    connections++
    socket.destroy()
  })
  await new Promise<void>((done) => listener.listen(0, '127.0.0.1', done))
  port = (listener.address() as { port: number }).port
})
afterAll(() => listener.close())

/** A config whose source and destination both point at the counting listener. */
function config(dir: string): string {
  writeFileSync(join(dir, 'orders.sql'), 'select * from orders where day = ${RUN_DATE}\n')
  writeFileSync(join(dir, 'ca.pem'), 'not read offline\n')
  return writeConfig(
    dir,
    `
source:
  type: postgres
  url: postgres://rivet@127.0.0.1:${port}/\${DB_NAME}
  password_env: RIVET_TEST_PG_PASSWORD
  tls: { mode: verify-full, ca_file: ca.pem }
destination:
  type: s3
  bucket: \${BUCKET}
  endpoint: http://127.0.0.1:${port}
  access_key_env: RIVET_TEST_AK
  secret_key_env: RIVET_TEST_SK
exports:
  - name: orders
    query_file: orders.sql
  - name: customers
    table: public.customers
`,
  )
}

describe('rivet check --offline', () => {
  test('a valid file exits 0, lists the variables it needs, and contacts nothing', async () => {
    const dir = tempDir()
    const file = config(dir)
    const env = { RIVET_TEST_AK: 'AKIAEXAMPLE', BUCKET: undefined, RUN_DATE: undefined, DB_NAME: undefined }
    const text = await rivet(['check', '-c', file, '--offline', '-p', 'DB_NAME=shop'], { env })
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(
      `${file}: valid (offline: nothing was contacted)\nexports: orders, customers\n`,
    )
    expect(text.stdout).toContain('  DB_NAME  set by -p\n')
    expect(text.stdout).toContain('  BUCKET  not set: pass -p BUCKET=... or export BUCKET\n')
    expect(text.stdout).toContain('  RUN_DATE  not set: pass -p RUN_DATE=... or export RUN_DATE\n')
    expect(text.stdout).toContain('  RIVET_TEST_AK  (destination.access_key_env)  set\n')
    expect(text.stdout).toContain('  RIVET_TEST_SK  (destination.secret_key_env)  not set\n')
    expect(text.stdout).toContain(`  ${join(dir, 'ca.pem')}  (source.tls.ca_file)  found\n`)

    const json = await rivet(['check', '-c', file, '--offline', '--json', '-p', 'DB_NAME=shop'], {
      env: { ...env, BUCKET: 'from-env' },
      runtime: 'deno',
    })
    expect(json.code).toBe(0)
    const doc = JSON.parse(json.stdout)
    expect(doc).toMatchObject({ status: 'succeeded', offline: true, file, exports: ['orders', 'customers'] })
    expect(doc.variables).toEqual([
      { name: 'DB_NAME', from: 'param' },
      { name: 'BUCKET', from: 'env' },
      { name: 'RUN_DATE', from: null },
    ])
    expect(doc.env).toEqual([
      { name: 'RIVET_TEST_PG_PASSWORD', key: 'source.password_env', set: false },
      { name: 'RIVET_TEST_AK', key: 'destination.access_key_env', set: true },
      { name: 'RIVET_TEST_SK', key: 'destination.secret_key_env', set: false },
    ])
    expect(doc.files).toEqual([
      { key: 'source.tls.ca_file', path: join(dir, 'ca.pem'), exists: true },
      { key: 'exports[0].query_file', path: join(dir, 'orders.sql'), exists: true },
    ])
    expect(connections).toBe(0)

    // The same file without --offline does connect: the listener is a real target.
    const online = await rivet([
      'check',
      '-c',
      file,
      '-p',
      'DB_NAME=shop',
      '-p',
      'BUCKET=b',
      '-p',
      'RUN_DATE=1',
    ], {
      env: { RIVET_TEST_PG_PASSWORD: 'x' },
    })
    expect(online.code).toBe(3)
    expect(connections).toBeGreaterThan(0)
  })

  test('an unknown key exits 2 with "did you mean"', async () => {
    const dir = tempDir()
    const file = writeConfig(
      dir,
      'source: { type: sqlite, path: db.sqlite }\ndestination: { type: local, path: out }\n' +
        'exports:\n  - name: a\n    table: t\n    formatt: csv\n',
    )
    writeFileSync(join(dir, 'db.sqlite'), '')
    const result = await rivet(['check', '-c', file, '--offline', '--json'])
    expectRunError(result, {
      exit: 2,
      code: 'CONFIG_INVALID',
      message: new RegExp(`^${file}:6:5: unknown key "formatt" in exports\\[0\\]; did you mean "format"\\?$`),
    })
  })

  test('a file the config names that is not there exits 2 naming the key and path', async () => {
    const dir = tempDir()
    const file = writeConfig(
      dir,
      'source: { type: sqlite, path: missing.sqlite }\ndestination: { type: local, path: out }\n' +
        'exports:\n  - name: a\n    query_file: sql/a.sql\n',
    )
    const result = await rivet(['check', '-c', file, '--offline'])
    expect(result.code).toBe(2)
    expect(result.stdout).toContain(`${join(dir, 'sql/a.sql')}  (exports[0].query_file)  not found\n`)
    expect(errorLines(result.stderr).map((e) => e.msg)).toEqual([
      `${file}:1:31: source.path: ${join(dir, 'missing.sqlite')} not found (and 1 more missing file(s))`,
    ])
  })
})
