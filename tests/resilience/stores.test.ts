/**
 * Network faults between rivet and each object store (MinIO, fake-gcs-server, Azurite), made by
 * Toxiproxy: 200 ms latency, 1 MB/s, connections cut mid-body, a store that stops answering,
 * down before the run, down for 3 s mid-run. A transient fault must be retried and the export
 * complete with the same bytes as an export without it (read back with the vendor SDK); a store
 * down before the run fails it at once with exit 5 and one line, writing nothing.
 *
 * The outage mid-run lasts 3 s rather than a longer one: rivet's store retries wait 11.9-23.8 s
 * in all (STORE_RETRY), so any outage shorter than ~12 s passes the same way, and 3 s already
 * fails with the 0-3 s of the preflight policy; a longer one would only add waiting to the suite.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Manifest, manifestSchema } from '../../src/pipeline/manifest.ts'
import * as azure from '../helpers/azure.ts'
import { startRivet, waitFor } from '../helpers/background.ts'
import { errorLines, rivet } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import * as gcs from '../helpers/gcs.ts'
import { PG_URL } from '../helpers/pg.ts'
import * as s3 from '../helpers/s3.ts'
import { Proxy } from '../helpers/toxiproxy.ts'

/** Exports of ~250 KB of CSV each: ~1 MB and 8 objects in all, seconds at 1 MB/s. */
const NAMES = ['r1', 'r2', 'r3', 'r4']
const EXPORT = NAMES.map((name, k) =>
  `  - name: ${name}\n    format: csv\n` +
  `    query: select i, md5(i::text) as h from generate_series(${k * 6250 + 1}, ${(k + 1) * 6250}) i\n`
).join('')

interface Store {
  name: string
  upstream: string
  /** The destination block through the proxy at `address`, for a fresh bucket or container. */
  destination(address: string): Promise<{ yaml: string; env: Record<string, string>; bucket: string }>
  keys(bucket: string): Promise<string[]>
  read(bucket: string, key: string): Promise<Uint8Array>
}

const stores: Store[] = [
  {
    name: 'MinIO',
    upstream: '127.0.0.1:9000',
    async destination(address) {
      const bucket = await s3.newBucket()
      return {
        bucket,
        env: s3.MINIO_ENV,
        yaml: `  type: s3\n  bucket: ${bucket}\n  endpoint: http://${address}\n` +
          '  access_key_env: RIVET_S3_KEY\n  secret_key_env: RIVET_S3_SECRET\n',
      }
    },
    keys: s3.listKeys,
    read: s3.getObject,
  },
  {
    name: 'fake-gcs-server',
    upstream: '127.0.0.1:4443',
    async destination(address) {
      const bucket = await gcs.newBucket()
      return {
        bucket,
        env: {},
        // Parts are far below the 8 MB chunk size, so each goes up in one request through the
        // proxy (the emulator's resumable session URIs would name its own port).
        yaml: `  type: gcs\n  bucket: ${bucket}\n  endpoint: http://${address}\n  allow_anonymous: true\n`,
      }
    },
    keys: gcs.listObjects,
    read: gcs.getObject,
  },
  {
    name: 'Azurite',
    upstream: '127.0.0.1:10000',
    async destination(address) {
      const container = await azure.newContainer()
      return {
        bucket: container,
        env: { RIVET_AZURE_KEY: azure.AZURITE.key },
        yaml: `  type: azure\n  container: ${container}\n  account_name: ${azure.AZURITE.account}\n` +
          `  endpoint: http://${address}/${azure.AZURITE.account}\n  account_key_env: RIVET_AZURE_KEY\n`,
      }
    },
    keys: (container) => azure.listBlobs(container),
    read: azure.getBlob,
  },
]

/** Every export's parts in `bucket`, concatenated, checked against the one manifest of each. */
async function exported(store: Store, bucket: string): Promise<string> {
  const keys = await store.keys(bucket)
  const listed: string[] = []
  let text = ''
  for (const name of NAMES) {
    const manifests = keys.filter((k) => k.startsWith(`${name}/_rivet/runs/`))
    expect(manifests).toHaveLength(1)
    const manifest: Manifest = manifestSchema.parse(
      JSON.parse(new TextDecoder().decode(await store.read(bucket, manifests[0]))),
    )
    listed.push(manifests[0])
    for (const part of manifest.parts) {
      const bytes = await store.read(bucket, `${name}/${part.path}`)
      expect(bytes.length).toBe(part.bytes)
      expect(new Bun.CryptoHasher('sha256').update(bytes).digest('hex')).toBe(part.sha256)
      text += new TextDecoder().decode(bytes)
      listed.push(`${name}/${part.path}`)
    }
  }
  // Only the manifests and their parts: nothing else was left behind.
  expect(keys).toEqual(listed.sort())
  return text
}

/** The same export to a local directory, with no proxy: the bytes every faulted run must match. */
let baseline = ''

beforeAll(async () => {
  const dir = tempDir()
  const file = writeConfig(
    dir,
    `source: { type: postgres, url: "${PG_URL}" }\ndestination: { type: local, path: ./out }\nexports:\n${EXPORT}`,
  )
  const result = await rivet(['run', '-c', file, '--json'], {})
  expect(result.code).toBe(0)
  for (const { name, run_id } of JSON.parse(result.stdout).exports) {
    const manifest = manifestSchema.parse(
      JSON.parse(readFileSync(join(dir, 'out', name, '_rivet', 'runs', `${run_id}.json`), 'utf8')),
    )
    baseline += manifest.parts.map((p) => readFileSync(join(dir, 'out', name, p.path), 'utf8')).join('')
  }
  expect(baseline.split('\r\n').length).toBe(25000 + NAMES.length + 1)
})

describe.each(stores)('$name behind Toxiproxy', (store) => {
  let proxy: Proxy
  beforeAll(async () => {
    proxy = await Proxy.create(`rivet-${store.name}`, store.upstream)
  })
  afterAll(() => proxy.delete())

  /**
   * Runs the export through the proxy in the background: `before` sets faults up before it
   * starts, `during` while it runs. Returns its exit, stderr, wall time and bucket once it ends,
   * with the proxy reset.
   */
  async function faulted(
    before: () => Promise<unknown>,
    during: (bucket: string, run: ReturnType<typeof startRivet>) => Promise<void>,
    env: Record<string, string> = {},
  ) {
    await proxy.reset()
    const { yaml, env: storeEnv, bucket } = await store.destination(proxy.address)
    const file = writeConfig(
      tempDir(),
      `source: { type: postgres, url: "${PG_URL}" }\ndestination:\n${yaml}exports:\n${EXPORT}`,
    )
    await before()
    const started = Date.now()
    const run = startRivet(['run', '-c', file], { ...storeEnv, ...env })
    try {
      await during(bucket, run)
    } finally {
      await proxy.reset()
    }
    const { code, stderr } = await run.exited
    return { code, stderr, ms: Date.now() - started, bucket }
  }

  /** Waits until the run has put its first part up, so a fault lands mid-run. */
  const firstPart = (bucket: string, run: ReturnType<typeof startRivet>) =>
    waitFor(async () => (await store.keys(bucket)).some((k) => k.endsWith('.csv')), run, 30_000)

  test('200 ms latency each way: completes with the same bytes', async () => {
    const result = await faulted(async () => {
      await proxy.toxic('latency', { latency: 200 }, 'downstream')
      await proxy.toxic('latency', { latency: 200 }, 'upstream')
    }, async (_bucket, run) => void await run.exited)
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    // Without the latency the run takes about a second.
    expect(result.ms).toBeGreaterThan(3000)
    expect(await exported(store, result.bucket)).toBe(baseline)
  }, 60_000)

  test('1 MB/s: completes with the same bytes', async () => {
    const result = await faulted(
      () => proxy.toxic('bandwidth', { rate: 1024 }, 'upstream'),
      async (_bucket, run) => void await run.exited,
    )
    expect(result.code).toBe(0)
    // ~1 MB up at 1 MB/s: the limit was in the way.
    expect(result.ms).toBeGreaterThan(900)
    expect(await exported(store, result.bucket)).toBe(baseline)
  }, 60_000)

  test('connections cut mid-body for 2.5 s: the cut uploads are retried, same bytes', async () => {
    // Every connection is closed after 50 KB from rivet: each ~250 KB part's upload is cut
    // mid-body until the toxic goes; the small preflight and state requests pass.
    const result = await faulted(
      () => proxy.toxic('limit_data', { bytes: 50_000 }, 'upstream'),
      () => Bun.sleep(2500),
    )
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    // No part could go up before the toxic was removed.
    expect(result.ms).toBeGreaterThan(2500)
    expect(await exported(store, result.bucket)).toBe(baseline)
  }, 60_000)

  test('a store that stalls for 2.5 s, then drops the connection: retried, same bytes', async () => {
    // Data is swallowed and the connection held open until the toxic goes, which closes it.
    const result = await faulted(
      () => proxy.toxic('timeout', { timeout: 0 }, 'upstream'),
      () => Bun.sleep(2500),
    )
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    expect(result.ms).toBeGreaterThan(2500)
    expect(await exported(store, result.bucket)).toBe(baseline)
  }, 60_000)

  test(
    'a store that never answers: each request times out, exit 5 with one line, nothing written',
    async () => {
      const { result, ms, bucket } = await refused(
        () => proxy.toxic('timeout', { timeout: 0 }, 'upstream'),
        { RIVET_STORE_TIMEOUT: '1' },
      )
      expect(result.code).toBe(5)
      const errors = errorLines(result.stderr)
      expect(errors).toHaveLength(1)
      expect(errors[0].msg).toContain('no answer within 1 s')
      // The preflight check's 5 attempts of 1 s and 0-3 s of backoff, and start-up.
      expect(ms).toBeLessThan(12_000)
      expect(await store.keys(bucket)).toEqual([])
    },
    60_000,
  )

  test('down for 3 s mid-run: retried until it is back, same bytes', async () => {
    const result = await faulted(
      // Slowed so that most of the run is still ahead when the store goes down.
      () => proxy.toxic('latency', { latency: 100 }, 'downstream'),
      async (bucket, run) => {
        await firstPart(bucket, run)
        await proxy.setEnabled(false)
        expect(run.done()).toBe(false)
        await Bun.sleep(3000)
        await proxy.setEnabled(true)
      },
    )
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    expect(result.ms).toBeGreaterThan(3000)
    expect(await exported(store, result.bucket)).toBe(baseline)
  }, 60_000)

  /** Runs the export with `fault` on from the start, in the foreground; the proxy is reset after. */
  async function refused(fault: () => Promise<unknown>, env: Record<string, string> = {}) {
    await proxy.reset()
    const { yaml, env: storeEnv, bucket } = await store.destination(proxy.address)
    const file = writeConfig(
      tempDir(),
      `source: { type: postgres, url: "${PG_URL}" }\ndestination:\n${yaml}exports:\n${EXPORT}`,
    )
    await fault()
    const started = Date.now()
    const result = await rivet(['run', '-c', file, '--json'], { env: { ...storeEnv, ...env } })
    const ms = Date.now() - started
    await proxy.reset()
    expect(JSON.parse(result.stdout).error.exit).toBe(result.code)
    return { result, ms, bucket }
  }

  test('down before the run: exit 5 with one line within seconds, nothing written', async () => {
    const { result, ms, bucket } = await refused(() => proxy.setEnabled(false))
    expect(result.code).toBe(5)
    const errors = errorLines(result.stderr)
    expect(errors).toHaveLength(1)
    expect(errors[0].msg).toContain(proxy.address)
    expect(errors[0].msg).not.toContain('\n')
    // The preflight check's retries (0-3 s of waiting) and process start-up.
    expect(ms).toBeLessThan(10_000)
    expect(await store.keys(bucket)).toEqual([])
  }, 60_000)
})
