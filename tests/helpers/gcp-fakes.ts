/**
 * Fakes of Google's credential endpoints for the GCS credential tests, all in one HTTP server:
 * the OAuth token endpoint (JWT bearer grant with the signature verified against the test key's
 * public half, refresh-token grant), STS token exchange, IAM Credentials generateAccessToken and
 * the metadata server. Every token it issues is short-lived and recorded with its lifetime, so a
 * test can check that what reached the bucket was an issued token that had not yet expired.
 * The key pair is made with WebCrypto in the test; the key file goes into a temp dir.
 */
import { createPublicKey, type KeyObject, verify } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempDir } from './files.ts'
import { type FakeAnswer, type FakeRequest, type HttpFake, httpFake } from './http-fake.ts'

/** Secrets the GCP tests plant; every issued access token starts with `accessToken`. */
export const GCP_PLANTED = {
  accessToken: 'ya29.planted-gcp-',
  refreshToken: '1//planted-gcp-refresh-token',
  clientSecret: 'planted-gcp-client-secret',
  subjectToken: 'planted-gcp-subject-token',
  /**
   * The DER prefix every PKCS#8 RSA private key starts with, in base64 (a public key's differs):
   * finds the first line of a leaked PEM whatever key the test generated.
   */
  privateKeyPrefix: 'BgkqhkiG9w0BAQEFAASC',
}

/** The OAuth client of the planted authorized user. */
export const CLIENT_ID = '764086051850-planted.apps.googleusercontent.com'

/** A token the fake issued. */
export interface IssuedToken {
  token: string
  /** How it was obtained: `jwt`, `refresh`, `sts`, `iam`, `metadata`. */
  grant: string
  /** Who it acts as: a service account email, `user`, or `federated`. */
  subject: string
  scope?: string
  issuedAt: number
  expiresAt: number
}

/** A test service account key: the file, and what the fake verifies it with. */
export interface TestKey {
  email: string
  keyId: string
  publicKey: KeyObject
  /** The PEM's base64 lines: none may appear in anything rivet prints. */
  pemLines: string[]
  /** The JSON key file's fields (write it with {@link writeKeyFile}). */
  json: Record<string, string>
}

/** Makes an RSA key pair with WebCrypto and the service account key file's fields. */
export async function testKey(email: string, tokenUri: string): Promise<TestKey> {
  const pair = await crypto.subtle.generateKey(
    {
      name: 'RSASSA-PKCS1-v1_5',
      modulusLength: 2048,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )
  const pkcs8 = Buffer.from(await crypto.subtle.exportKey('pkcs8', pair.privateKey)).toString('base64')
  const pemLines = pkcs8.match(/.{1,64}/g)!
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', pair.publicKey))
  const keyId = `planted-key-${Math.random().toString(16).slice(2, 10)}`
  return {
    email,
    keyId,
    publicKey: createPublicKey({ key: spki, format: 'der', type: 'spki' }),
    pemLines,
    json: {
      type: 'service_account',
      project_id: 'rivet-test',
      private_key_id: keyId,
      private_key: `-----BEGIN PRIVATE KEY-----\n${pemLines.join('\n')}\n-----END PRIVATE KEY-----\n`,
      client_email: email,
      client_id: '100000000000000000001',
      token_uri: tokenUri,
    },
  }
}

/** Writes a credential JSON file into `dir` (a new temp dir by default); returns its path. */
export function writeKeyFile(json: unknown, name = 'key.json', dir = tempDir('rivet-gcp-')): string {
  const path = join(dir, name)
  writeFileSync(path, JSON.stringify(json, null, 2))
  return path
}

/** The planted authorized user's file fields, exchanging at `tokenUri`. */
export function authorizedUser(tokenUri: string, account?: string): Record<string, string> {
  return {
    type: 'authorized_user',
    client_id: CLIENT_ID,
    client_secret: GCP_PLANTED.clientSecret,
    refresh_token: GCP_PLANTED.refreshToken,
    token_uri: tokenUri,
    ...(account ? { account } : {}),
  }
}

/** The running fake and what it saw and issued. */
export interface GoogleFake extends HttpFake {
  issued: IssuedToken[]
  /** Why the fake refused requests, in order (`bad signature`, `unknown refresh token`, ...). */
  refusals: string[]
  /** Registers a service account key the token endpoint accepts assertions from. */
  trust(key: TestKey): void
  /** The issued token a request carried as `Authorization: Bearer`, if any. */
  bearer(authorization: string | undefined): IssuedToken | undefined
  /** Revokes an issued token: IAM Credentials refuses it from now on, as Google does. */
  revoke(token: string): void
}

/** What the fake's tokens live and who the metadata server says it is. */
export interface GoogleFakeOptions {
  lifetimeSeconds?: number
  metadataEmail?: string
  /** The subject token STS accepts. */
  subjectToken?: string
}

const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer'
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'

function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): { status: number; body: string; headers: Record<string, string> } {
  return { status, body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } }
}

function decodePart(part: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'))
}

/** Starts the fake Google. Token URI: `${url}/token`; STS: `${url}/v1/token`; metadata: the same host. */
export async function fakeGoogle(options: GoogleFakeOptions = {}): Promise<GoogleFake> {
  const lifetime = options.lifetimeSeconds ?? 3600
  const keys = new Map<string, TestKey>()
  const issued: IssuedToken[] = []
  const refusals: string[] = []
  const revoked = new Set<string>()
  let url = ''
  const issue = (grant: string, subject: string, scope?: string): IssuedToken => {
    const now = Date.now()
    const token: IssuedToken = {
      token: `${GCP_PLANTED.accessToken}${grant}-${issued.length + 1}-${
        Math.random().toString(36).slice(2, 8)
      }`,
      grant,
      subject,
      scope,
      issuedAt: now,
      expiresAt: now + lifetime * 1000,
    }
    issued.push(token)
    return token
  }
  const bearer = (authorization: string | undefined) => {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1]
    return issued.find((t) => t.token === token)
  }
  const refuse = (why: string, answer: FakeAnswer): FakeAnswer => {
    refusals.push(why)
    return answer
  }
  const invalidGrant = (why: string, description: string) =>
    refuse(why, json(400, { error: 'invalid_grant', error_description: description }))
  const oauth = (token: IssuedToken, headers: Record<string, string> = {}) =>
    json(
      200,
      { access_token: token.token, expires_in: lifetime, token_type: 'Bearer', scope: token.scope },
      headers,
    )

  const jwtGrant = (assertion: string): FakeAnswer => {
    const [header, claims, signature] = assertion.split('.')
    if (!signature) return invalidGrant('not a JWT', 'Invalid JWT.')
    const head = decodePart(header)
    const body = decodePart(claims)
    const key = keys.get(String(body.iss))
    if (!key || head.kid !== key.keyId || head.alg !== 'RS256') {
      return invalidGrant('unknown key', 'Invalid JWT.')
    }
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${claims}`),
      key.publicKey,
      Buffer.from(signature, 'base64url'),
    )
    if (!valid) return invalidGrant('bad signature', 'Invalid JWT Signature.')
    const now = Date.now() / 1000
    const iat = Number(body.iat)
    const exp = Number(body.exp)
    if (body.aud !== `${url}/token` || Math.abs(iat - now) > 60 || exp - iat > 3600 || exp < now) {
      return invalidGrant(
        'bad claims',
        'Invalid JWT: Token must be a short-lived token and in a reasonable timeframe.',
      )
    }
    return oauth(issue('jwt', key.email, String(body.scope)))
  }

  const token = (request: FakeRequest): FakeAnswer => {
    const form = new URLSearchParams(request.body)
    switch (form.get('grant_type')) {
      case JWT_BEARER:
        return jwtGrant(form.get('assertion') ?? '')
      case 'refresh_token':
        if (form.get('client_id') !== CLIENT_ID || form.get('client_secret') !== GCP_PLANTED.clientSecret) {
          return refuse(
            'bad client',
            json(401, { error: 'invalid_client', error_description: 'Unauthorized' }),
          )
        }
        if (form.get('refresh_token') !== GCP_PLANTED.refreshToken) {
          return invalidGrant('unknown refresh token', 'Token has been expired or revoked.')
        }
        return oauth(issue('refresh', 'user'))
      default:
        return refuse('bad grant', json(400, { error: 'unsupported_grant_type' }))
    }
  }

  const sts = (request: FakeRequest): FakeAnswer => {
    const form = new URLSearchParams(request.body)
    if (form.get('grant_type') !== TOKEN_EXCHANGE || !form.get('audience')) {
      return refuse('bad exchange', json(400, { error: 'invalid_request' }))
    }
    if (form.get('subject_token') !== (options.subjectToken ?? GCP_PLANTED.subjectToken)) {
      return invalidGrant('bad subject token', 'The access token provided is invalid.')
    }
    const federated = issue('sts', 'federated', form.get('scope') ?? undefined)
    return json(200, {
      access_token: federated.token,
      issued_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      token_type: 'Bearer',
      expires_in: lifetime,
    })
  }

  const generateAccessToken = (request: FakeRequest, email: string): FakeAnswer => {
    const caller = bearer(request.headers.authorization)
    if (!caller || caller.expiresAt < Date.now() || revoked.has(caller.token)) {
      return refuse(
        'impersonation without a valid token',
        json(401, {
          error: {
            code: 401,
            message: 'Request had invalid authentication credentials.',
            status: 'UNAUTHENTICATED',
          },
        }),
      )
    }
    const body = JSON.parse(request.body) as { scope: string[] }
    const token = issue('iam', email, body.scope.join(' '))
    return json(200, { accessToken: token.token, expireTime: new Date(token.expiresAt).toISOString() })
  }

  const metadata = (request: FakeRequest, path: string): FakeAnswer => {
    const flavor = { 'metadata-flavor': 'Google' }
    if (request.headers['metadata-flavor'] !== 'Google') return { status: 403, headers: flavor }
    const email = options.metadataEmail ?? 'rivet-vm@rivet-test.iam.gserviceaccount.com'
    if (path.endsWith('/default/email')) return { status: 200, body: email, headers: flavor }
    if (path.endsWith('/default/token')) {
      return oauth(issue('metadata', email), flavor)
    }
    return { status: 404, headers: flavor }
  }

  const fake = await httpFake((request) => {
    const path = new URL(request.url, 'http://fake').pathname
    if (request.method === 'POST' && path === '/token') return token(request)
    if (request.method === 'POST' && path === '/v1/token') return sts(request)
    const impersonate = /^\/v1\/projects\/-\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(path)
    if (request.method === 'POST' && impersonate) {
      return generateAccessToken(request, decodeURIComponent(impersonate[1]))
    }
    if (path.startsWith('/computeMetadata/v1/')) return metadata(request, path)
    return { status: 404 }
  })
  url = fake.url
  return {
    ...fake,
    issued,
    refusals,
    trust: (key) => keys.set(key.email, key),
    bearer,
    revoke: (token) => revoked.add(token),
  }
}

/** A port nothing listens on: the metadata server "off Google Cloud", refused at once. */
export const NO_METADATA = '127.0.0.1:1'

/**
 * An environment with none of the machine's Google settings: GOOGLE_*, GCE_* and CLOUDSDK_*
 * removed, HOME an empty directory, the metadata server on a closed port, plus `vars`.
 */
export function gcpEnv(vars: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const cleared = Object.fromEntries(
    Object.keys(process.env).filter((k) => /^(GOOGLE_|GCE_|CLOUDSDK_)/.test(k)).map((k) => [k, undefined]),
  )
  return { ...cleared, HOME: tempDir('rivet-gcp-home-'), GCE_METADATA_HOST: NO_METADATA, ...vars }
}

/** `host:port` of a fake, for GCE_METADATA_HOST. */
export function hostOf(fake: HttpFake): string {
  return new URL(fake.url).host
}
