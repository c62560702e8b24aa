/**
 * TLS modes against the machine's PostgreSQL, which serves a self-signed certificate for
 * `localhost`: each mode connects or refuses exactly as libpq's sslmode of the same name would,
 * and the session really is encrypted when it should be.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { errorLines, rivet } from '../helpers/cli.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { PG_URL } from '../helpers/pg.ts'
import { duck } from '../helpers/parquet.ts'

let dir: string
let serverSsl = false

beforeAll(async () => {
  dir = tempDir()
  const sql = postgres(PG_URL, { max: 1 })
  const [{ ssl, cert }] =
    await sql`select current_setting('ssl') as ssl, current_setting('ssl_cert_file') as cert`
  await sql.end()
  serverSsl = ssl === 'on'
  // The certificate is self-signed, so it is its own CA.
  if (serverSsl) copyFileSync(cert, join(dir, 'ca.pem'))
})

async function exportSsl(name: string, host: string, tls: string) {
  const out = join(dir, name)
  const file = writeConfig(
    dir,
    `source:\n  type: postgres\n  host: ${host}\n  user: postgres\n  database: test\n  tls: ${tls}\n` +
      `destination: { type: local, path: ${out} }\nexports:\n  - name: s\n` +
      `    query: select ssl from pg_stat_ssl where pid = pg_backend_pid()\n`,
    `${name}.yaml`,
  )
  const result = await rivet(['run', '-c', file])
  const parts = listFiles(out).filter((f) => f.endsWith('.parquet'))
  const encrypted = parts.length
    ? (await duck(`select ssl from read_parquet('${join(out, parts[0])}')`))[0].ssl as boolean
    : undefined
  return { result, encrypted, files: listFiles(out) }
}

describe('postgres tls', () => {
  test('the server offers TLS (Debian default with the snakeoil certificate)', () => {
    expect(serverSsl).toBe(true)
  })

  test('disable connects in plain text', async () => {
    const { result, encrypted } = await exportSsl('disable', '127.0.0.1', '{ mode: disable }')
    expect(result.code).toBe(0)
    expect(encrypted).toBe(false)
  })

  test('require encrypts without verifying', async () => {
    const { result, encrypted } = await exportSsl('require', '127.0.0.1', '{ mode: require }')
    expect(result.code).toBe(0)
    expect(encrypted).toBe(true)
  })

  test('verify-ca checks the chain but not the host name', async () => {
    const { result, encrypted } = await exportSsl(
      'verifyca',
      '127.0.0.1',
      '{ mode: verify-ca, ca_file: ca.pem }',
    )
    expect(result.code).toBe(0)
    expect(encrypted).toBe(true)
  })

  test('verify-full checks the host name too', async () => {
    const ok = await exportSsl('full-ok', 'localhost', '{ mode: verify-full, ca_file: ca.pem }')
    expect(ok.result.code).toBe(0)
    expect(ok.encrypted).toBe(true)
    const wrongHost = await exportSsl('full-ip', '127.0.0.1', '{ mode: verify-full, ca_file: ca.pem }')
    expect(wrongHost.result.code).toBe(3)
    expect(errorLines(wrongHost.result.stderr)[0].msg).toMatch(
      /^TLS to PostgreSQL at 127\.0\.0\.1:5432\/test failed: /,
    )
    expect(wrongHost.files).toEqual([])
  })

  test('verify-full with a CA that did not sign the server certificate refuses it', async () => {
    const other = spawnSync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=other-ca',
      '-keyout',
      join(dir, 'other.key'),
      '-out',
      join(dir, 'other.pem'),
    ])
    expect(other.status).toBe(0)
    const { result, files } = await exportSsl(
      'full-otherca',
      'localhost',
      '{ mode: verify-full, ca_file: other.pem }',
    )
    expect(result.code).toBe(3)
    expect(errorLines(result.stderr)[0].msg).toMatch(
      /^TLS to PostgreSQL at localhost:5432\/test failed: .*certificate/i,
    )
    expect(files).toEqual([])
  })
})
