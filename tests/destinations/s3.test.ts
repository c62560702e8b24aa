/**
 * The S3 destination against MinIO, which checks SigV4 for real. What rivet wrote is read back
 * with the AWS SDK and DuckDB; failures leave no object, no incomplete multipart upload and no
 * manifest.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openDestinationAt } from '../../src/destinations/open.ts'
import { manifestSchema } from '../../src/pipeline/manifest.ts'
import { errorLines, rivet, ROOT } from '../helpers/cli.ts'
import { objectStoreConfig } from '../helpers/cloud-export.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import { duck } from '../helpers/parquet.ts'
import { pgExec } from '../helpers/pg.ts'
import {
  deleteObject,
  etag,
  getObject,
  listKeys,
  MINIO,
  MINIO_ENV,
  minioProxy,
  newBucket,
  pendingUploads,
} from '../helpers/s3.ts'

const PG = 'postgres://postgres@127.0.0.1:5432/test'

beforeAll(async () => {
  await pgExec(`
    drop table if exists rivet_s3_rows;
    create table rivet_s3_rows (id bigint primary key, amount numeric(12,2), at timestamptz, label text);
    insert into rivet_s3_rows
      select i, i * 0.25, timestamptz '2026-01-01 00:00:00.123456+00' + i * interval '1 second', md5(i::text)
        from generate_series(1, 50000) i;
  `)
})

function config(dir: string, bucket: string, exports: string, extra = ''): string {
  return objectStoreConfig(
    dir,
    `  type: s3
  bucket: ${bucket}
  prefix: exports/{date}/
  endpoint: ${MINIO.endpoint}
  access_key_env: RIVET_S3_KEY
  secret_key_env: RIVET_S3_SECRET
${extra}
`,
    exports,
  )
}

describe('s3 destination', () => {
  test('exports land under the prefix with a manifest; the SDK and DuckDB read them back', async () => {
    const bucket = await newBucket()
    const dir = tempDir()
    const file = config(dir, bucket, '  - name: rows\n    table: rivet_s3_rows\n')
    const result = await rivet(['run', '-c', file, '--json'], { env: MINIO_ENV })
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    const doc = JSON.parse(result.stdout)
    const date = new Date().toISOString().slice(0, 10)
    expect(doc.exports[0].location).toBe(`s3://${bucket}/exports/${date}/rows`)

    const keys = await listKeys(bucket)
    const runId = doc.exports[0].run_id
    expect(keys).toEqual([
      `exports/${date}/rows/_rivet/runs/${runId}.json`,
      `exports/${date}/rows/rows-${runId}-00000.parquet`,
    ])
    const manifest = manifestSchema.parse(
      JSON.parse(new TextDecoder().decode(await getObject(bucket, keys[0]))),
    )
    const bytes = await getObject(bucket, keys[1])
    expect(bytes.length).toBe(manifest.parts[0].bytes)
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.parts[0].sha256)
    const local = join(dir, 'part.parquet')
    writeFileSync(local, bytes)
    const [agg] = await duck(
      `select count(*)::int as n, sum(amount)::varchar as total, max("at")::varchar as last from read_parquet('${local}')`,
    )
    expect(agg).toEqual({ n: 50000, total: '312506250.00', last: '2026-01-01 13:53:20.123456+00' })
  })

  test.each(['bun', 'deno'] as const)(
    '%s: a large export goes up as a multipart upload with parts of part_size',
    async (runtime) => {
      const bucket = await newBucket()
      const dir = tempDir()
      const file = config(
        dir,
        bucket,
        `  - name: big\n    format: csv\n    query: select i, repeat(md5(i::text), 8) as pad from generate_series(1, 100000) i\n`,
        '  part_size: 5MB\n  upload_concurrency: 3',
      )
      const result = await rivet(['run', '-c', file, '--json'], { env: MINIO_ENV, runtime })
      expect(result.code).toBe(0)
      const key = (await listKeys(bucket)).find((k) => k.endsWith('.csv'))!
      const bytes = await getObject(bucket, key)
      // 100,000 rows of "i,<256 hex chars>\r\n" plus the header.
      expect(bytes.length).toBeGreaterThan(25 * 1024 * 1024)
      expect(await etag(bucket, key)).toMatch(new RegExp(`-${Math.ceil(bytes.length / (5 * 1024 * 1024))}"$`))
      // Every byte: part buffers are reused, and one reused while its upload ran would show here.
      const expected = createHash('sha256').update('i,pad\r\n')
      for (let i = 1; i <= 100000; i++) {
        expected.update(`${i},${createHash('md5').update(String(i)).digest('hex').repeat(8)}\r\n`)
      }
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(expected.digest('hex'))
      expect(await pendingUploads(bucket)).toEqual([])
    },
    60000,
  )

  test(
    'part buffers are reused: 24 parts of 16 MB take a few parts of memory, and arrive intact',
    async () => {
      Object.assign(process.env, MINIO_ENV)
      const bucket = await newBucket()
      const destination = openDestinationAt({
        type: 's3',
        bucket,
        prefix: '',
        endpoint: MINIO.endpoint,
        region: 'us-east-1',
        access_key_env: 'RIVET_S3_KEY',
        secret_key_env: 'RIVET_S3_SECRET',
        part_size: 16 * 1024 * 1024,
        upload_concurrency: 2,
      }, 'reuse')
      const PART = 16 * 1024 * 1024
      const chunk = new Uint8Array(PART)
      for (let i = 0; i < PART; i += 4096) chunk[i] = (i >> 12) & 0xff
      const sent = createHash('sha256')
      const before = process.memoryUsage().rss
      let peak = before
      const sampler = setInterval(() => peak = Math.max(peak, process.memoryUsage().rss), 5)
      try {
        const writer = destination.create('big.bin').getWriter()
        for (let i = 0; i < 24; i++) {
          new DataView(chunk.buffer).setUint32(0, i)
          await writer.write(chunk)
          sent.update(chunk)
        }
        await writer.close()
      } finally {
        clearInterval(sampler)
      }
      // A new buffer per part measured 150-220 MB here (the collector lets them pile up); reused,
      // ~55 MB: the part filling, the ones in flight, the HTTP client.
      expect(peak - before).toBeLessThan(6 * PART)
      expect(await etag(bucket, 'reuse/big.bin')).toMatch(/-24"$/)
      const got = await getObject(bucket, 'reuse/big.bin')
      expect(createHash('sha256').update(got).digest('hex')).toBe(sent.digest('hex'))
      await deleteObject(bucket, 'reuse/big.bin')
    },
    120_000,
  )

  // AWS itself is addressed this way (no endpoint set), so it is the path most users take. MinIO
  // runs with MINIO_DOMAIN=localhost (scripts/services.sh); a recording proxy in front of it shows
  // the Host every request carried, and MinIO checks the signature made over that Host. Deno does
  // not resolve *.localhost names, so this runs on Bun and the binary.
  test.each(['bun', 'binary'] as const)(
    '%s: virtual-hosted addressing (path_style: false): every request goes to <bucket>.<endpoint host>',
    async (runtime) => {
      const bucket = await newBucket()
      const proxy = await minioProxy()
      const port = new URL(proxy.url).port
      try {
        const dir = tempDir()
        const file = objectStoreConfig(
          dir,
          `  type: s3\n  bucket: ${bucket}\n  prefix: vh/\n  endpoint: http://localhost:${port}\n` +
            '  path_style: false\n  access_key_env: RIVET_S3_KEY\n  secret_key_env: RIVET_S3_SECRET\n',
          '  - name: rows\n    table: rivet_s3_rows\n    format: csv\n',
        )
        const result = await rivet(['run', '-c', file, '--json'], { env: MINIO_ENV, runtime })
        expect(errorLines(result.stderr)).toEqual([])
        expect(result.code).toBe(0)
        // The bucket check, the part, the manifest, the state: all virtual-hosted.
        const seen = proxy.seen
        expect(seen.length).toBeGreaterThanOrEqual(3)
        for (const r of seen) {
          expect(r.host).toBe(`${bucket}.localhost:${port}`)
          expect(r.url).not.toStartWith(`/${bucket}`)
        }
        const runId = JSON.parse(result.stdout).exports[0].run_id
        const keys = await listKeys(bucket)
        expect(keys).toEqual([`vh/rows/_rivet/runs/${runId}.json`, `vh/rows/rows-${runId}-00000.csv`])
        const manifest = manifestSchema.parse(
          JSON.parse(new TextDecoder().decode(await getObject(bucket, keys[0]))),
        )
        const bytes = await getObject(bucket, keys[1])
        expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.parts[0].sha256)
        const lines = new TextDecoder().decode(bytes).trimEnd().split('\r\n')
        expect(lines).toHaveLength(50_001)
        expect(lines[0]).toBe('id,amount,at,label')
        expect(lines[1]).toBe(
          `1,0.25,2026-01-01T00:00:01.123456Z,${createHash('md5').update('1').digest('hex')}`,
        )
      } finally {
        proxy.close()
      }
    },
    60_000,
  )

  test('a wrong secret exits 4, names the credential source and never prints the secret', async () => {
    const bucket = await newBucket()
    const dir = tempDir()
    const file = config(dir, bucket, '  - name: rows\n    table: rivet_s3_rows\n')
    const result = await rivet(['run', '-c', file, '--json'], {
      env: { ...MINIO_ENV, RIVET_S3_SECRET: 'wrong-planted-s3-secret' },
    })
    expect(result.code).toBe(4)
    const [error] = errorLines(result.stderr)
    expect(error.msg).toMatch(
      /^S3 bucket rivet-test-\S+ refused ListObjectsV2 with 403 SignatureDoesNotMatch/,
    )
    expect(error.msg).toContain('credentials from env static (RIVET_S3_KEY)')
    expect(result.stdout + result.stderr).not.toContain('wrong-planted-s3-secret')
    expect(await listKeys(bucket)).toEqual([])
  })

  test('a missing bucket exits 5 naming it, before any data is read', async () => {
    const dir = tempDir()
    const file = config(dir, 'rivet-no-such-bucket', '  - name: rows\n    table: rivet_s3_rows\n')
    const result = await rivet(['run', '-c', file], { env: MINIO_ENV })
    expect(result.code).toBe(5)
    expect(errorLines(result.stderr)[0].msg).toBe(
      `S3 bucket rivet-no-such-bucket does not exist at ${MINIO.endpoint}; create it or fix destination.bucket`,
    )
  })

  test('an unreachable endpoint exits 5', async () => {
    const dir = tempDir()
    const file = writeConfig(
      dir,
      `source: { type: postgres, url: "${PG}" }\ndestination: { type: s3, bucket: b, endpoint: "http://127.0.0.1:1", access_key_env: RIVET_S3_KEY, secret_key_env: RIVET_S3_SECRET }\nexports:\n  - name: rows\n    table: rivet_s3_rows\n`,
    )
    const result = await rivet(['run', '-c', file], { env: MINIO_ENV })
    expect(result.code).toBe(5)
    expect(errorLines(result.stderr)[0].msg).toMatch(
      /^S3 bucket b at http:\/\/127\.0\.0\.1:1 is unreachable: .*; check the endpoint and the network$/,
    )
  }, 60000)

  test('Ctrl-C mid-upload leaves no object, no pending multipart upload and no manifest', async () => {
    const bucket = await newBucket()
    const dir = tempDir()
    const file = config(
      dir,
      bucket,
      `  - name: long\n    format: csv\n    query: select a * 100000 + b as i, repeat('x', 200) as pad from generate_series(1, 100000) a, generate_series(1, 100000) b\n`,
      '  part_size: 5MB',
    )
    const child = spawn(process.execPath, [join(ROOT, 'mod.ts'), 'run', '-c', file], {
      env: { ...process.env, ...MINIO_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => stderr += d)
    const deadline = Date.now() + 30000
    while ((await pendingUploads(bucket)).length === 0 && Date.now() < deadline) await Bun.sleep(200)
    expect(await pendingUploads(bucket)).toHaveLength(1)
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code).toBe(130)
    expect(errorLines(stderr)[0]).toMatchObject({ code: 'INTERRUPTED' })
    expect(await pendingUploads(bucket)).toEqual([])
    expect(await listKeys(bucket)).toEqual([])
  }, 60000)

  test('expired static credentials (AWS_CREDENTIAL_EXPIRATION) exit 4 before any data moves', async () => {
    const bucket = await newBucket()
    const dir = tempDir()
    const file = config(dir, bucket, '  - name: rows\n    table: rivet_s3_rows\n')
    const result = await rivet(['run', '-c', file, '--json'], {
      env: { ...MINIO_ENV, AWS_CREDENTIAL_EXPIRATION: '2020-01-01T00:00:00Z' },
    })
    expect(result.code).toBe(4)
    expect(JSON.parse(result.stdout).error).toMatchObject({ code: 'AUTH_EXPIRED', exit: 4 })
    expect(errorLines(result.stderr)[0].msg).toBe(
      'credentials from env static (RIVET_S3_KEY) expired at 2020-01-01T00:00:00.000Z; export fresh keys ' +
        '(e.g. `aws configure export-credentials --format env`) or use a profile or role rivet can refresh',
    )
    expect(await listKeys(bucket)).toEqual([])
  })

  test('a temporary (ASIA) key without a session token is a config error before any request', async () => {
    const dir = tempDir()
    const file = config(dir, 'any-bucket', '  - name: rows\n    table: rivet_s3_rows\n')
    const result = await rivet(['run', '-c', file], {
      env: { ...MINIO_ENV, RIVET_S3_KEY: 'ASIAEXAMPLEKEY123' },
    })
    expect(result.code).toBe(2)
    expect(errorLines(result.stderr)[0].msg).toContain(
      'is temporary (ASIA...) but no session token is set; set session_token_env (or AWS_SESSION_TOKEN)',
    )
  })

  test('doctor writes and deletes a probe and reports the masked key', async () => {
    const bucket = await newBucket()
    const dir = tempDir()
    const file = config(dir, bucket, '  - name: rows\n    table: rivet_s3_rows\n')
    const result = await rivet(['doctor', '-c', file, '--json'], { env: MINIO_ENV })
    expect(result.code).toBe(0)
    const doc = JSON.parse(result.stdout)
    expect(doc.destinations[0].steps).toEqual([
      { name: 'credentials', ok: true, detail: 'env static (RIVET_S3_KEY) rive****root' },
      { name: 'reach', ok: true },
      { name: 'write', ok: true },
      { name: 'delete', ok: true },
    ])
    expect(await listKeys(bucket)).toEqual([])
  })
})
