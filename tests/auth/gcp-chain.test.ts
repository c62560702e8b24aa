/**
 * The Google credential chain in process, against the fake Google of tests/helpers/gcp-fakes.ts
 * reached through the standard variables and the files' own endpoints: which source wins and in
 * what order, each flow's requests (the JWT verified with the key's public half), the messages
 * of every failure, and that no planted secret shows in any of them or in the debug log.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gcpCredentials, type GcpCredentialSettings } from '../../src/auth/gcp/chain.ts'
import { printedRecord, useAwsEnv } from '../helpers/aws.ts'
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
import { httpFake } from '../helpers/http-fake.ts'

const WHERE = 'destination gs://b'
const SA = 'rivet-exporter@rivet-test.iam.gserviceaccount.com'
const TARGET = 'rivet-writer@rivet-test.iam.gserviceaccount.com'
const STORAGE = 'https://www.googleapis.com/auth/devstorage.read_write'
const PLATFORM = 'https://www.googleapis.com/auth/cloud-platform'
const { logger, failure, printed, logLines } = printedRecord()

let google: GoogleFake
let key: TestKey
let keyFile: string
let restore = () => {}

beforeAll(async () => {
  google = await fakeGoogle({ lifetimeSeconds: 900 })
  key = await testKey(SA, `${google.url}/token`)
  google.trust(key)
  keyFile = writeKeyFile(key.json, 'sa.json')
})
afterAll(() => google.close())
afterEach(() => restore())

/** Resolves with only `vars` of the Google settings in the environment. */
function resolve(vars: Record<string, string | undefined>, settings: GcpCredentialSettings = {}) {
  restore()
  restore = useAwsEnv(gcpEnv(vars))
  return gcpCredentials(settings, WHERE, { logger })
}

/** A gcloud config directory holding `json` as its ADC file. */
function gcloudDir(json: unknown, dir = tempDir('rivet-gcloud-')): string {
  mkdirSync(dir, { recursive: true })
  writeKeyFile(json, 'application_default_credentials.json', dir)
  return dir
}

describe('GCP credential chain', () => {
  test('order: GOOGLE_OAUTH_ACCESS_TOKEN, GOOGLE_APPLICATION_CREDENTIALS, CLOUDSDK_CONFIG or ~/.config/gcloud, metadata server', async () => {
    const home = tempDir('rivet-home-')
    gcloudDir(authorizedUser(`${google.url}/token`), join(home, '.config', 'gcloud'))
    const adc = gcloudDir(authorizedUser(`${google.url}/token`))
    const vars: Record<string, string | undefined> = {
      GOOGLE_OAUTH_ACCESS_TOKEN: `${GCP_PLANTED.accessToken}env`,
      GOOGLE_APPLICATION_CREDENTIALS: keyFile,
      CLOUDSDK_CONFIG: adc,
      HOME: home,
      GCE_METADATA_HOST: hostOf(google),
    }
    const sources: string[] = []
    const grants: string[] = []
    for (
      const drop of [
        'GOOGLE_OAUTH_ACCESS_TOKEN',
        'GOOGLE_APPLICATION_CREDENTIALS',
        'CLOUDSDK_CONFIG',
        'HOME',
        '',
      ]
    ) {
      const provider = resolve(vars)!
      sources.push(provider.source)
      const token = (await provider.get()).token.reveal()
      grants.push(google.issued.find((t) => t.token === token)?.grant ?? 'env')
      if (drop === 'HOME') vars.HOME = tempDir('rivet-empty-home-')
      else if (drop) vars[drop] = undefined
    }
    expect(sources).toEqual([
      'env token (GOOGLE_OAUTH_ACCESS_TOKEN)',
      `GOOGLE_APPLICATION_CREDENTIALS ${keyFile} (service account)`,
      `ADC from gcloud (${adc}/application_default_credentials.json) (authorized user)`,
      `ADC from gcloud (${home}/.config/gcloud/application_default_credentials.json) (authorized user)`,
      `metadata server (${google.url})`,
    ])
    expect(grants).toEqual(['env', 'jwt', 'refresh', 'refresh', 'metadata'])
  })

  test('credentials_file comes before the environment; allow_anonymous turns everything off', () => {
    const vars = {
      GOOGLE_OAUTH_ACCESS_TOKEN: `${GCP_PLANTED.accessToken}env`,
      GCE_METADATA_HOST: hostOf(google),
    }
    expect(resolve(vars, { credentials_file: keyFile })!.source).toBe(
      `credentials_file ${keyFile} (service account)`,
    )
    expect(resolve(vars, { allow_anonymous: true })).toBeUndefined()
  })

  test('nothing found: exit 4 listing every link and why it did not apply', async () => {
    const provider = resolve({})!
    const error = await failure(provider.get())
    expect(error.code).toBe('AUTH_MISSING')
    expect(error.exit).toBe(4)
    const home = process.env.HOME
    expect(error.message).toMatch(
      new RegExp(
        `^${WHERE}: no Google credentials found; tried GOOGLE_OAUTH_ACCESS_TOKEN \\(not set\\); ` +
          'GOOGLE_APPLICATION_CREDENTIALS \\(not set\\); ' +
          `ADC from gcloud \\(${home}/\\.config/gcloud/application_default_credentials\\.json does not exist\\); ` +
          'metadata server \\(http://127\\.0\\.0\\.1:1\\): .+\\. Set credentials_file in the destination, ' +
          'run `gcloud auth application-default login`, or set allow_anonymous: true for an emulator$',
      ),
    )
  })

  test('service account: an RS256 assertion the fake verifies, exchanged at token_uri for a storage token', async () => {
    const before = google.requests.length
    const token = await resolve({}, { credentials_file: keyFile })!.get()
    const request = google.requests[before]
    expect(request.url).toBe('/token')
    const form = new URLSearchParams(request.body)
    expect(form.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer')
    const [header, claims] = form.get('assertion')!.split('.').slice(0, 2).map((p) =>
      JSON.parse(Buffer.from(p, 'base64url').toString())
    )
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid: key.keyId })
    expect(claims).toMatchObject({ iss: SA, aud: `${google.url}/token`, scope: STORAGE })
    expect(claims.exp - claims.iat).toBe(3600)
    const issued = google.issued.at(-1)!
    expect(token.token.reveal()).toBe(issued.token)
    expect(token.identity).toBe(SA)
    expect(Math.abs(token.expiresAt!.getTime() - issued.expiresAt)).toBeLessThan(2000)
  })

  test('service account: a key the endpoint does not know is refused with exit 4 and the fix', async () => {
    const other = await testKey(SA, `${google.url}/token`)
    // Same email and key id as the trusted key, another private key: only the signature differs.
    const forged = writeKeyFile({ ...other.json, private_key_id: key.keyId }, 'forged.json')
    const error = await failure(resolve({}, { credentials_file: forged })!.get())
    expect(google.refusals.at(-1)).toBe('bad signature')
    expect(error.exit).toBe(4)
    expect(error.message).toBe(
      `credentials_file ${forged} (service account): ${google.url}/token refused the request with HTTP 400 ` +
        `invalid_grant: Invalid JWT Signature.; the key of ${SA} may be disabled or deleted: create a new one ` +
        `(\`gcloud iam service-accounts keys create\`) in place of ${forged}`,
    )
  })

  test('credential file problems are config errors naming the file and the field, never its content', async () => {
    const dir = tempDir('rivet-bad-keys-')
    const write = (name: string, text: string) => {
      writeFileSync(join(dir, name), text)
      return join(dir, name)
    }
    const cases: [string, string][] = [
      [join(dir, 'missing.json'), 'cannot be read (ENOENT)'],
      [
        write('text.json', `not json ${GCP_PLANTED.refreshToken}`),
        'is not JSON (37 bytes that do not parse)',
      ],
      [write('nokey.json', JSON.stringify({ ...key.json, private_key: '' })), 'private_key is missing'],
      [write('p12.json', JSON.stringify({ type: 'p12' })), 'type "p12" is not one rivet reads'],
      [
        write(
          'aws.json',
          JSON.stringify({
            type: 'external_account',
            audience: 'a',
            subject_token_type: 't',
            token_url: 'http://x',
            credential_source: { environment_id: 'aws1' },
          }),
        ),
        'credential_source: rivet reads the subject token from a file or a URL; an AWS credential source is not supported',
      ],
    ]
    for (const [path, why] of cases) {
      const error = await failure(() => resolve({}, { credentials_file: path }))
      expect(error.code).toBe('CONFIG_CREDENTIALS_FILE')
      expect(error.exit).toBe(2)
      expect(error.message).toStartWith(`${WHERE}: credentials_file ${path}: ${why}`)
    }
    const rsa = write(
      'rsa.json',
      JSON.stringify({
        ...key.json,
        private_key: key.json.private_key.replaceAll('PRIVATE KEY', 'RSA PRIVATE KEY'),
      }),
    )
    const error = await failure(resolve({}, { credentials_file: rsa })!.get())
    expect(error.exit).toBe(4)
    expect(error.message).toBe(
      `credentials_file ${rsa} (service account): private_key is not a PKCS#8 PEM (BEGIN PRIVATE KEY)`,
    )
  })

  test('authorized user: the refresh token is exchanged; a revoked one says to sign in again', async () => {
    const before = google.requests.length
    const adc = gcloudDir(authorizedUser(`${google.url}/token`, 'ada@example.com'))
    const token = await resolve({ CLOUDSDK_CONFIG: adc })!.get()
    expect(Object.fromEntries(new URLSearchParams(google.requests[before].body))).toEqual({
      grant_type: 'refresh_token',
      client_id: authorizedUser('').client_id,
      client_secret: GCP_PLANTED.clientSecret,
      refresh_token: GCP_PLANTED.refreshToken,
    })
    expect(token.identity).toBe('ada@example.com')
    const revoked = gcloudDir({ ...authorizedUser(`${google.url}/token`), refresh_token: '1//revoked' })
    const error = await failure(resolve({ CLOUDSDK_CONFIG: revoked })!.get())
    expect(error.message).toBe(
      `ADC from gcloud (${revoked}/application_default_credentials.json) (authorized user): ${google.url}/token ` +
        'refused the request with HTTP 400 invalid_grant: Token has been expired or revoked.; ' +
        'run `gcloud auth application-default login`',
    )
  })

  test('metadata server: Metadata-Flavor both ways, the email as identity; a silent one costs one second', async () => {
    const token = await resolve({ GCE_METADATA_HOST: hostOf(google) })!.get()
    const [tokenRequest] = google.requests.filter((r) => r.url.endsWith('/default/token')).slice(-1)
    expect(tokenRequest.headers['metadata-flavor']).toBe('Google')
    expect(token.identity).toBe('rivet-vm@rivet-test.iam.gserviceaccount.com')

    const impostor = await httpFake(() => ({ status: 200, body: '{"access_token":"x","expires_in":60}' }))
    const silent = await httpFake(() => 'hang')
    try {
      const notGoogle = await failure(resolve({ GCE_METADATA_HOST: hostOf(impostor) })!.get())
      expect(notGoogle.message).toContain(
        `metadata server (${impostor.url}): answered HTTP 200 without Metadata-Flavor: Google, so it is not one`,
      )
      const started = Date.now()
      const timedOut = await failure(resolve({ GCE_METADATA_HOST: hostOf(silent) })!.get())
      expect(Date.now() - started).toBeLessThan(2500)
      expect(timedOut.message).toContain(`metadata server (${silent.url}): no answer within 1 s`)
    } finally {
      await Promise.all([impostor.close(), silent.close()])
    }
  })

  test('impersonate_service_account: the base asks for cloud-platform, IAM Credentials hands out the target token', async () => {
    const provider = resolve(
      { CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS: `${google.url}/` },
      { credentials_file: keyFile, impersonate_service_account: TARGET },
    )!
    expect(provider.source).toBe(`impersonated ${TARGET} via credentials_file ${keyFile} (service account)`)
    const token = await provider.get()
    const [base, iam] = google.issued.slice(-2)
    expect(base).toMatchObject({ grant: 'jwt', subject: SA, scope: PLATFORM })
    expect(iam).toMatchObject({ grant: 'iam', subject: TARGET, scope: STORAGE, token: token.token.reveal() })
    const request = google.requests.at(-1)!
    expect(request.url).toBe(
      `/v1/projects/-/serviceAccounts/${encodeURIComponent(TARGET)}:generateAccessToken`,
    )
    expect(request.headers.authorization).toBe(`Bearer ${base.token}`)
    expect(JSON.parse(request.body)).toEqual({ scope: [STORAGE], lifetime: '3600s' })
    expect(token.identity).toBe(TARGET)
  })

  test('impersonation: a base token refused before its expiry is renewed once underneath', async () => {
    const provider = resolve(
      { CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS: google.url },
      { credentials_file: keyFile, impersonate_service_account: TARGET },
    )!
    await provider.get()
    const [base] = google.issued.slice(-2)
    google.revoke(base.token)
    provider.invalidate()
    const token = await provider.get()
    expect(google.refusals.at(-1)).toBe('impersonation without a valid token')
    expect(google.issued.slice(-4).map((t) => t.grant)).toEqual(['jwt', 'iam', 'jwt', 'iam'])
    expect(token.token.reveal()).toBe(google.issued.at(-1)!.token)
  })

  test('impersonated_service_account file (gcloud --impersonate-service-account) with a user as the source', async () => {
    const adc = gcloudDir({
      type: 'impersonated_service_account',
      service_account_impersonation_url:
        `${google.url}/v1/projects/-/serviceAccounts/${TARGET}:generateAccessToken`,
      delegates: [],
      source_credentials: authorizedUser(`${google.url}/token`),
    })
    const provider = resolve({ CLOUDSDK_CONFIG: adc })!
    expect(provider.source).toBe(
      `impersonated ${TARGET} via ADC from gcloud (${adc}/application_default_credentials.json) (authorized user)`,
    )
    await provider.get()
    expect(google.issued.slice(-2).map((t) => t.grant)).toEqual(['refresh', 'iam'])
  })

  test('external account: subject token from a file or a JSON URL, exchanged at STS, then impersonated', async () => {
    const dir = tempDir('rivet-wif-')
    const tokenFile = join(dir, 'token')
    writeFileSync(tokenFile, `${GCP_PLANTED.subjectToken}\n`)
    const audience = '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/gh'
    const account = (source: Record<string, unknown>, impersonate = false) => ({
      type: 'external_account',
      audience,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: `${google.url}/v1/token`,
      credential_source: source,
      ...(impersonate
        ? {
          service_account_impersonation_url:
            `${google.url}/v1/projects/-/serviceAccounts/${TARGET}:generateAccessToken`,
        }
        : {}),
    })
    const fromFile = resolve({}, {
      credentials_file: writeKeyFile(account({ file: tokenFile }), 'wif.json', dir),
    })!
    expect(fromFile.source).toBe(`credentials_file ${dir}/wif.json (external account ci/providers/gh)`)
    await fromFile.get()
    expect(Object.fromEntries(new URLSearchParams(google.requests.at(-1)!.body))).toEqual({
      grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
      audience,
      scope: STORAGE,
      requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      subject_token: GCP_PLANTED.subjectToken,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
    })

    const idp = await httpFake((r) =>
      r.headers['x-identity'] === 'yes'
        ? { status: 200, body: JSON.stringify({ value: GCP_PLANTED.subjectToken }) }
        : { status: 403 }
    )
    try {
      const fromUrl = resolve({}, {
        credentials_file: writeKeyFile(
          account({
            url: `${idp.url}/token`,
            headers: { 'x-identity': 'yes' },
            format: { type: 'json', subject_token_field_name: 'value' },
          }, true),
          'wif-url.json',
          dir,
        ),
      })!
      const token = await fromUrl.get()
      const [sts, iam] = google.issued.slice(-2)
      expect(sts).toMatchObject({ grant: 'sts', scope: PLATFORM })
      expect(iam).toMatchObject({ grant: 'iam', subject: TARGET, token: token.token.reveal() })
    } finally {
      await idp.close()
    }

    writeFileSync(tokenFile, 'rotated-wrong-token')
    const refused = await failure(resolve({}, { credentials_file: join(dir, 'wif.json') })!.get())
    expect(refused.message).toEndWith(
      `refused the request with HTTP 400 invalid_grant: The access token provided is invalid.; check the ` +
        `subject token file ${tokenFile} and that the workload identity provider ${audience} trusts its issuer and audience`,
    )
  })

  test('no planted secret in any message or debug log line; the log names source, identity and expiry', () => {
    const text = printed()
    expect(
      logLines.some((l) =>
        l.includes(
          `credentials from credentials_file ${keyFile} (service account): token for rive****rter@rivet-test.iam.gserviceaccount.com`,
        )
      ),
    ).toBe(true)
    for (const secret of [...Object.values(GCP_PLANTED), ...key.pemLines]) expect(text).not.toContain(secret)
    for (const issued of google.issued) expect(text).not.toContain(issued.token)
  })
})
