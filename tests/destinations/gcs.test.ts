/**
 * The GCS destination against fake-gcs-server. What rivet wrote is read back with
 * @google-cloud/storage and DuckDB. A proxy in front of the emulator counts the resumable
 * upload's chunks, injects a 503 to show the upload resuming from the committed offset, and
 * answers 401 to show the auth error; failures leave no object and no manifest.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { errorLines, rivet, ROOT, type Runtime } from '../helpers/cli.ts'
import {
  checkStoredRun,
  checkTypedValues,
  createTypedTable,
  objectStoreConfig,
} from '../helpers/cloud-export.ts'
import { tempDir } from '../helpers/files.ts'
import { gcpEnv } from '../helpers/gcp-fakes.ts'
import {
  FAKE_GCS,
  GCS_TOKEN,
  gcsProxy,
  getObject,
  isChunk,
  listObjects,
  newBucket,
  type ProxyAction,
  type SeenRequest,
} from '../helpers/gcs.ts'

const TABLE = 'rivet_gcs_rows'
const TOKEN_ENV = { GOOGLE_OAUTH_ACCESS_TOKEN: GCS_TOKEN }
/** About 38 MB of CSV. */
const BIG_EXPORT =
  `  - name: big\n    format: csv\n    query: select i, repeat(md5(i::text), 8) as pad from generate_series(1, 150000) i\n`

beforeAll(() => createTypedTable(TABLE))

/** What a test changes in the config. */
interface Options {
  exports?: string
  endpoint?: string
  /** More destination lines; default: allow_anonymous. */
  extra?: string
}

/** A config exporting to `bucket`. */
function config(dir: string, bucket: string, options: Options = {}): string {
  return objectStoreConfig(
    dir,
    `  type: gcs
  bucket: ${bucket}
  prefix: exports/{date}/
  endpoint: ${options.endpoint ?? FAKE_GCS}
${options.extra ?? '  allow_anonymous: true'}
`,
    options.exports ?? `  - name: rows\n    table: ${TABLE}\n`,
  )
}

/** Runs rivet and checks that the planted token shows in nothing it printed. */
async function run(args: string[], env: Record<string, string | undefined> = {}, runtime: Runtime = 'bun') {
  const result = await rivet(args, { env: { GOOGLE_OAUTH_ACCESS_TOKEN: undefined, ...env }, runtime })
  expect(result.stdout + result.stderr).not.toContain(GCS_TOKEN)
  return result
}

/** The one CSV object of a run and its manifest's record of it. */
async function csvObject(bucket: string) {
  const names = await listObjects(bucket)
  const bytes = await getObject(bucket, names.find((n) => n.endsWith('.csv'))!)
  const manifest = JSON.parse(
    new TextDecoder().decode(await getObject(bucket, names.find((n) => n.endsWith('.json'))!)),
  )
  return { names, bytes, part: manifest.parts[0] as { bytes: number; sha256: string } }
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Runs the big export through a proxy that does `decide`; returns what the proxy saw. */
async function bigExportThroughProxy(
  decide?: (request: SeenRequest) => ProxyAction,
  runtime: Runtime = 'bun',
) {
  const bucket = await newBucket()
  const proxy = await gcsProxy(decide)
  try {
    const dir = tempDir()
    const file = config(dir, bucket, {
      exports: BIG_EXPORT,
      endpoint: proxy.url,
      // 1000KB is not a multiple of 256 KiB: chunks are rounded up to 1 MiB.
      extra: '  part_size: 1000KB',
    })
    const result = await run(['run', '-c', file, '--json'], TOKEN_ENV, runtime)
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    return { bucket, seen: proxy.seen }
  } finally {
    proxy.close()
  }
}

describe('gcs destination', () => {
  test('the export lands under the prefix with its manifest; the SDK and DuckDB read it back', async () => {
    const bucket = await newBucket()
    const dir = tempDir()
    const result = await run(['run', '-c', config(dir, bucket), '--json'])
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    const exp = JSON.parse(result.stdout).exports[0]
    const base = `exports/${new Date().toISOString().slice(0, 10)}/rows`
    expect(exp.location).toBe(`gs://${bucket}/${base}`)
    const { local } = await checkStoredRun({
      names: await listObjects(bucket),
      base,
      exportName: 'rows',
      runId: exp.run_id,
      read: (name) => getObject(bucket, name),
    }, dir)
    await checkTypedValues(local)
  })

  test(
    'a large part goes up as one resumable session in 256 KiB-multiple chunks, with the bearer token',
    async () => {
      const { bucket, seen } = await bigExportThroughProxy()
      const { bytes, part } = await csvObject(bucket)
      expect(bytes.length).toBeGreaterThan(35 * 1024 * 1024)
      expect(sha256(bytes)).toBe(part.sha256)
      expect(seen.filter((r) => r.url.includes('uploadType=resumable') && r.method === 'POST')).toHaveLength(
        1,
      )
      const chunks = seen.filter(isChunk)
      const chunk = 1024 * 1024
      expect(chunks).toHaveLength(Math.ceil(bytes.length / chunk))
      expect(chunks.slice(0, -1).every((c) => c.bytes === chunk && c.contentRange!.endsWith('/*'))).toBe(true)
      expect(chunks.at(-1)!.contentRange).toBe(
        `bytes ${chunks.length * chunk - chunk}-${bytes.length - 1}/${bytes.length}`,
      )
      expect(seen.every((r) => r.authorization === `Bearer ${GCS_TOKEN}`)).toBe(true)
    },
    120000,
  )

  // Deno too: a 308 must reach rivet as an answer, not be followed as a redirect.
  for (const [runtime, afterForwarding] of [['bun', false], ['bun', true], ['deno', true]] as const) {
    const what = afterForwarding ? 'after the emulator took the chunk' : 'before the chunk arrives'
    test(
      `${runtime}: a 503 ${what} resumes from the committed offset; the object is byte-identical`,
      async () => {
        let chunksSeen = 0
        const { bucket, seen } = await bigExportThroughProxy(
          (request) => isChunk(request) && ++chunksSeen === 3 ? { status: 503, afterForwarding } : 'forward',
          runtime,
        )
        const { bytes, part } = await csvObject(bucket)
        expect(bytes.length).toBe(part.bytes)
        expect(sha256(bytes)).toBe(part.sha256)
        // The failed chunk is followed by a status query, then the upload goes on where the session stands.
        const failed = seen.findIndex((r) =>
          isChunk(r) && r.contentRange!.startsWith(`bytes ${2 * 1024 * 1024}-`)
        )
        expect(seen[failed + 1].contentRange).toBe('bytes */*')
        const resumedAt = (afterForwarding ? 3 : 2) * 1024 * 1024
        expect(seen[failed + 2].contentRange).toStartWith(`bytes ${resumedAt}-`)
      },
      120000,
    )
  }

  test('a 401 exits 4, names the credential source and never prints the token', async () => {
    const bucket = await newBucket()
    const proxy = await gcsProxy(() => ({ status: 401 }))
    try {
      const dir = tempDir()
      const file = config(dir, bucket, { endpoint: proxy.url, extra: '' })
      const result = await run(['run', '-c', file], TOKEN_ENV)
      expect(result.code).toBe(4)
      const [error] = errorLines(result.stderr)
      expect(error.msg).toStartWith(`GCS bucket ${bucket} refused GetBucket with 401`)
      expect(error.msg).toContain('credentials from env token (GOOGLE_OAUTH_ACCESS_TOKEN)')
    } finally {
      proxy.close()
    }
  })

  test('no credentials exit 4 listing what was tried', async () => {
    const dir = tempDir()
    const result = await run(['run', '-c', config(dir, 'b', { extra: '' })], gcpEnv())
    expect(result.code).toBe(4)
    expect(errorLines(result.stderr)[0].msg).toMatch(
      /no Google credentials found; tried GOOGLE_OAUTH_ACCESS_TOKEN \(not set\); GOOGLE_APPLICATION_CREDENTIALS \(not set\); ADC from gcloud \(.+ does not exist\); metadata server \(http:\/\/127\.0\.0\.1:1\): /,
    )
  })

  test('a missing bucket exits 5 naming it, before any data is read', async () => {
    const dir = tempDir()
    const result = await run(['run', '-c', config(dir, 'rivet-no-such-bucket')])
    expect(result.code).toBe(5)
    expect(errorLines(result.stderr)[0].msg).toBe(
      `GCS bucket rivet-no-such-bucket does not exist at ${FAKE_GCS}; create it or fix destination.bucket`,
    )
  })

  test('an unreachable endpoint exits 5', async () => {
    const dir = tempDir()
    const result = await run(['run', '-c', config(dir, 'b', { endpoint: 'http://127.0.0.1:1' })])
    expect(result.code).toBe(5)
    expect(errorLines(result.stderr)[0].msg).toMatch(
      /^GCS bucket b at http:\/\/127\.0\.0\.1:1 is unreachable/,
    )
  }, 60000)

  test('Ctrl-C mid-upload cancels the session and leaves no object and no manifest', async () => {
    const bucket = await newBucket()
    const proxy = await gcsProxy()
    try {
      const dir = tempDir()
      const file = config(dir, bucket, {
        endpoint: proxy.url,
        exports:
          `  - name: long\n    format: csv\n    query: select a * 100000 + b as i, repeat('x', 200) as pad from generate_series(1, 100000) a, generate_series(1, 100000) b\n`,
        extra: '  allow_anonymous: true\n  part_size: 1MB',
      })
      const child = spawn(process.execPath, [join(ROOT, 'mod.ts'), 'run', '-c', file], {
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let stderr = ''
      child.stderr.on('data', (d) => stderr += d)
      const deadline = Date.now() + 30000
      while (proxy.seen.filter(isChunk).length < 2 && Date.now() < deadline) await Bun.sleep(100)
      expect(proxy.seen.filter(isChunk).length).toBeGreaterThanOrEqual(2)
      child.kill('SIGINT')
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
      expect(code).toBe(130)
      expect(errorLines(stderr)[0]).toMatchObject({ code: 'INTERRUPTED' })
      expect(proxy.seen.filter((r) => r.method === 'DELETE' && r.url.includes('upload_id='))).toHaveLength(1)
      expect(await listObjects(bucket)).toEqual([])
    } finally {
      proxy.close()
    }
  }, 60000)

  test('doctor writes and deletes a probe and reports anonymous access', async () => {
    const bucket = await newBucket()
    const dir = tempDir()
    const result = await run(['doctor', '-c', config(dir, bucket), '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).destinations[0].steps).toEqual([
      { name: 'credentials', ok: true, detail: 'anonymous (allow_anonymous)' },
      { name: 'reach', ok: true },
      { name: 'write', ok: true },
      { name: 'delete', ok: true },
    ])
    expect(await listObjects(bucket)).toEqual([])
  })
})
