/**
 * Every GCS sign-in flow end to end: rivet run (Bun and Deno) exports from PostgreSQL to
 * fake-gcs-server with a token from the fake Google of tests/helpers/gcp-fakes.ts. The emulator
 * accepts any bearer, so a proxy in front of it records the token each request carried and the
 * tests check it against what the fake issued: an issued token, not yet expired when used, and
 * replaced before it expired during a long multi-chunk export. Also: GCS 401 answers (retried
 * once with a fresh token, else exit 4 with the fix), doctor's source/identity/expiry, and no
 * planted secret in anything rivet printed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { errorLines, rivet, type Runtime } from '../helpers/cli.ts'
import { objectStoreConfig } from '../helpers/cloud-export.ts'
import { tempDir } from '../helpers/files.ts'
import {
  authorizedUser,
  fakeGoogle,
  GCP_PLANTED,
  gcpEnv,
  type GoogleFake,
  hostOf,
  type TestKey,
  testKey,
  writeKeyFile,
} from '../helpers/gcp-fakes.ts'
import {
  gcsProxy,
  getObject,
  listObjects,
  newBucket,
  type ProxyAction,
  type SeenRequest,
} from '../helpers/gcs.ts'

const SA = 'rivet-exporter@rivet-test.iam.gserviceaccount.com'
const TARGET = 'rivet-writer@rivet-test.iam.gserviceaccount.com'
const VM = 'rivet-instance@rivet-test.iam.gserviceaccount.com'
/** Tokens live this long, so a long export has to refresh several times. */
const LIFETIME_SECONDS = 4
const SMALL_EXPORT =
  `  - name: rows\n    query: select i, md5(i::text) as label from generate_series(1, 2000) i\n`
/**
 * About 38 MB of CSV in 1 MiB chunks, the source sleeping 0.4 s every 10,000 rows (6 s in all): the
 * export outlives a token however fast the rest of it runs, and requests keep coming meanwhile.
 */
const BIG_EXPORT =
  `  - name: big\n    format: csv\n    query: >-\n      select i, repeat(md5(i::text), 8) as pad ` +
  `from generate_series(1, 150000) i, lateral (select pg_sleep(case when i % 10000 = 0 then 0.4 else 0 end)) s\n`

let google: GoogleFake
let key: TestKey

beforeAll(async () => {
  google = await fakeGoogle({ lifetimeSeconds: LIFETIME_SECONDS, metadataEmail: VM })
  key = await testKey(SA, `${google.url}/token`)
  google.trust(key)
})
afterAll(() => google.close())

/** What a test changes. */
interface Export {
  /** Destination lines after type, bucket, endpoint (credentials). */
  credentials?: string
  exports?: string
  env?: Record<string, string | undefined>
  runtime?: Runtime
  /** What the proxy does with each request. */
  decide?: (request: SeenRequest) => ProxyAction
  command?: 'run' | 'doctor'
  dir?: string
}

/** Runs rivet through a recording proxy; checks that no planted secret or issued token was printed. */
async function exportThrough(options: Export) {
  const bucket = await newBucket()
  const proxy = await gcsProxy(options.decide)
  const dir = options.dir ?? tempDir()
  try {
    const file = objectStoreConfig(
      dir,
      `  type: gcs\n  bucket: ${bucket}\n  endpoint: ${proxy.url}\n  part_size: 1000KB\n${
        options.credentials ?? ''
      }`,
      options.exports ?? SMALL_EXPORT,
    )
    const result = await rivet([options.command ?? 'run', '-c', file, '--json'], {
      env: gcpEnv(options.env),
      runtime: options.runtime,
    })
    const printed = result.stdout + result.stderr
    for (const secret of [...Object.values(GCP_PLANTED), ...key.pemLines]) {
      expect(printed).not.toContain(secret)
    }
    for (const issued of google.issued) expect(printed).not.toContain(issued.token)
    return { result, bucket, seen: proxy.seen }
  } finally {
    proxy.close()
  }
}

/**
 * Every request carried a token the fake issued with `grant`, used before it expired; returns
 * the tokens in the order they were first used.
 */
function checkTokens(seen: SeenRequest[], grant: string) {
  expect(seen.length).toBeGreaterThan(0)
  const used: string[] = []
  for (const request of seen) {
    const token = google.bearer(request.authorization)
    expect(token?.grant).toBe(grant)
    expect(request.at).toBeLessThan(token!.expiresAt)
    if (!used.includes(token!.token)) used.push(token!.token)
  }
  return used.map((t) => google.issued.find((i) => i.token === t)!)
}

/** The run's one data object matches its manifest's size and sha256. */
async function checkStored(bucket: string) {
  const names = await listObjects(bucket)
  const manifestName = names.find((n) => n.includes('/_rivet/runs/'))!
  const manifest = JSON.parse(new TextDecoder().decode(await getObject(bucket, manifestName)))
  expect(manifest.parts).toHaveLength(1)
  const part = await getObject(bucket, names.find((n) => !n.includes('/_rivet/'))!)
  expect(part.length).toBe(manifest.parts[0].bytes)
  expect(createHash('sha256').update(part).digest('hex')).toBe(manifest.parts[0].sha256)
  return manifest
}

/** A config directory with the service account key at keys/sa.json. */
function withKey(): string {
  const dir = tempDir()
  mkdirSync(join(dir, 'keys'))
  writeKeyFile(key.json, 'sa.json', join(dir, 'keys'))
  return dir
}

describe('GCS credentials end to end', () => {
  for (const runtime of ['bun', 'deno'] as const) {
    test(
      `service account key (credentials_file relative to the config), ${runtime}: tokens refreshed before expiry through a long export`,
      async () => {
        const { result, bucket, seen } = await exportThrough({
          dir: withKey(),
          credentials: '  credentials_file: keys/sa.json\n',
          exports: BIG_EXPORT,
          runtime,
        })
        expect(result.stderr).not.toContain('"level":"error"')
        expect(result.code).toBe(0)
        expect(seen.length).toBeGreaterThan(35)
        const used = checkTokens(seen, 'jwt')
        expect(used.length).toBeGreaterThanOrEqual(2)
        // Each new token was fetched while the one before it was still valid.
        for (let i = 1; i < used.length; i++) expect(used[i].issuedAt).toBeLessThan(used[i - 1].expiresAt)
        expect((await checkStored(bucket)).rows).toBe(150000)
      },
      120000,
    )
  }

  test('doctor shows the source, the masked service account and the expiry', async () => {
    const dir = withKey()
    const { result } = await exportThrough({
      dir,
      credentials: '  credentials_file: keys/sa.json\n',
      command: 'doctor',
    })
    expect(result.code).toBe(0)
    const [credentials] = JSON.parse(result.stdout).destinations[0].steps
    expect(credentials.detail).toMatch(
      new RegExp(
        `^credentials_file ${dir}/keys/sa\\.json \\(service account\\) rive\\*\\*\\*\\*rter@rivet-test\\.iam\\.gserviceaccount\\.com, ` +
          'expires \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(in \\d s, refreshed automatically\\)$',
      ),
    )
  })

  test('authorized user from GOOGLE_APPLICATION_CREDENTIALS', async () => {
    const path = writeKeyFile(authorizedUser(`${google.url}/token`), 'user.json')
    const { result, bucket, seen } = await exportThrough({ env: { GOOGLE_APPLICATION_CREDENTIALS: path } })
    expect(result.code).toBe(0)
    checkTokens(seen, 'refresh')
    expect((await checkStored(bucket)).rows).toBe(2000)
  })

  test('gcloud ADC (CLOUDSDK_CONFIG); a 401 is retried once with a fresh token', async () => {
    const gcloud = tempDir('rivet-gcloud-')
    writeKeyFile(authorizedUser(`${google.url}/token`), 'application_default_credentials.json', gcloud)
    let refused = 0
    const { result, bucket, seen } = await exportThrough({
      env: { CLOUDSDK_CONFIG: gcloud },
      // GCS revokes the first token: the first request is refused, its retry carries a new one.
      decide: () => refused++ === 0 ? { status: 401 } : 'forward',
    })
    expect(result.code).toBe(0)
    const used = checkTokens(seen, 'refresh')
    expect(google.bearer(seen[1].authorization)).not.toEqual(google.bearer(seen[0].authorization))
    expect(seen[1].url).toBe(seen[0].url)
    expect(used.length).toBeGreaterThanOrEqual(2)
    expect((await checkStored(bucket)).rows).toBe(2000)
  })

  test('a token refused again after the refresh exits 4 naming the source and what to run', async () => {
    const gcloud = tempDir('rivet-gcloud-')
    const path = writeKeyFile(
      authorizedUser(`${google.url}/token`),
      'application_default_credentials.json',
      gcloud,
    )
    const { result, seen } = await exportThrough({
      env: { CLOUDSDK_CONFIG: gcloud },
      decide: () => ({ status: 401 }),
    })
    expect(result.code).toBe(4)
    expect(seen).toHaveLength(2)
    const [error] = errorLines(result.stderr)
    expect(error.code).toBe('AUTH_FAILED')
    expect(error.msg).toMatch(/^GCS bucket \S+ refused GetBucket with 401 /)
    expect(error.msg).toEndWith(
      `credentials from ADC from gcloud (${path}) (authorized user): rivet fetched a fresh token and it was ` +
        'refused too: run `gcloud auth application-default login`',
    )
  })

  test('metadata server (GCE_METADATA_HOST): export, and doctor names the attached service account', async () => {
    const env = { GCE_METADATA_HOST: hostOf(google) }
    const { result, bucket, seen } = await exportThrough({ env })
    expect(result.code).toBe(0)
    checkTokens(seen, 'metadata')
    expect((await checkStored(bucket)).rows).toBe(2000)
    const doctor = await exportThrough({ env, command: 'doctor' })
    expect(JSON.parse(doctor.result.stdout).destinations[0].steps[0].detail).toStartWith(
      `metadata server (${google.url}) rive****ance@rivet-test.iam.gserviceaccount.com, expires `,
    )
  })

  test('impersonate_service_account on top of the key: the bucket sees the target account token', async () => {
    const { result, bucket, seen } = await exportThrough({
      dir: withKey(),
      credentials: `  credentials_file: keys/sa.json\n  impersonate_service_account: ${TARGET}\n`,
      env: { CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS: google.url },
    })
    expect(result.code).toBe(0)
    for (const token of checkTokens(seen, 'iam')) expect(token.subject).toBe(TARGET)
    expect((await checkStored(bucket)).rows).toBe(2000)
  })

  test('external account (workload identity federation) with a subject token file', async () => {
    const dir = tempDir()
    const tokenFile = join(dir, 'oidc-token')
    await Bun.write(tokenFile, GCP_PLANTED.subjectToken)
    writeKeyFile(
      {
        type: 'external_account',
        audience: '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/gh',
        subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
        token_url: `${google.url}/v1/token`,
        credential_source: { file: tokenFile },
      },
      'wif.json',
      dir,
    )
    const { result, bucket, seen } = await exportThrough({
      dir,
      credentials: '  credentials_file: wif.json\n',
    })
    expect(result.code).toBe(0)
    checkTokens(seen, 'sts')
    expect((await checkStored(bucket)).rows).toBe(2000)
  })

  test('allow_anonymous with credentials_file is a config error', async () => {
    const { result, seen } = await exportThrough({
      credentials: '  allow_anonymous: true\n  credentials_file: sa.json\n',
    })
    expect(result.code).toBe(2)
    expect(seen).toEqual([])
    expect(errorLines(result.stderr)[0].msg).toMatch(
      /destination\.credentials_file: allow_anonymous and credentials_file conflict: anonymous requests use no credentials$/,
    )
  })
})
