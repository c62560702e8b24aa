/**
 * Fakes of the AWS credential endpoints (STS, IMDSv2, container credentials, SSO portal), each
 * issuing short-lived credentials whose secrets carry planted markers, and an environment
 * without the machine's own AWS settings. Tests point rivet at the fakes only through the
 * standard variables (AWS_ENDPOINT_URL_STS, AWS_EC2_METADATA_SERVICE_ENDPOINT, ...).
 */
import { expect } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { RivetError } from '../../src/errors.ts'
import { Logger } from '../../src/log/logger.ts'
import { tempDir } from './files.ts'
import { type FakeRequest, type HttpFake, httpFake } from './http-fake.ts'

/** Markers in every secret the fakes and the test profiles hand out; none may ever be printed. */
export const AWS_PLANTED = {
  secret: 'planted-aws-secret',
  sessionToken: 'planted-aws-session-token',
  webIdentityToken: 'planted-web-identity-token',
  containerToken: 'planted-container-auth-token',
  ssoAccessToken: 'planted-sso-access-token',
  imdsToken: 'planted-imds-session-token',
  externalId: 'planted-external-id',
}

let issued = 0

/** Fresh temporary credentials in the JSON shape of container, IMDS and credential_process answers. */
export function issue(lifetimeSeconds: number, prefix = 'ASIAFAKE') {
  const n = ++issued
  return {
    AccessKeyId: `${prefix}${String(n).padStart(8, '0')}`,
    SecretAccessKey: `${AWS_PLANTED.secret}-${n}`,
    SessionToken: `${AWS_PLANTED.sessionToken}-${n}`,
    Expiration: new Date(Date.now() + lifetimeSeconds * 1000).toISOString(),
  }
}

const json = (status: number, body: unknown) => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
})

/** STS's successful answer to `action` carrying fresh credentials. */
export function stsAnswer(action: string, lifetimeSeconds: number) {
  const c = issue(lifetimeSeconds)
  return {
    status: 200,
    body: `<${action}Response><${action}Result><Credentials><AccessKeyId>${c.AccessKeyId}</AccessKeyId>` +
      `<SecretAccessKey>${c.SecretAccessKey}</SecretAccessKey><SessionToken>${c.SessionToken}</SessionToken>` +
      `<Expiration>${c.Expiration}</Expiration></Credentials></${action}Result></${action}Response>`,
  }
}

/** STS's error answer. */
export function stsError(status: number, code: string, message: string) {
  return {
    status,
    body:
      `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error></ErrorResponse>`,
  }
}

/** The access key id a SigV4 request was signed with. */
export function signingKey(request: FakeRequest): string | undefined {
  return /Credential=([^/]+)\//.exec(String(request.headers.authorization ?? ''))?.[1]
}

/**
 * STS: AssumeRole (must be signed) and AssumeRoleWithWebIdentity (must carry `webToken`),
 * answering with credentials that live `lifetimeSeconds`.
 */
export function fakeSts(options: { lifetimeSeconds?: number; webToken?: string } = {}): Promise<HttpFake> {
  return httpFake((request) => {
    const form = new URLSearchParams(request.body)
    const action = form.get('Action')
    if (action === 'AssumeRole' && !signingKey(request)) {
      return stsError(403, 'MissingAuthenticationToken', 'Request is missing Authentication Token')
    }
    if (action === 'AssumeRoleWithWebIdentity' && form.get('WebIdentityToken') !== options.webToken) {
      return stsError(400, 'InvalidIdentityToken', 'The web identity token is not valid')
    }
    if (action !== 'AssumeRole' && action !== 'AssumeRoleWithWebIdentity') {
      return stsError(400, 'InvalidAction', 'unknown action')
    }
    return stsAnswer(action, options.lifetimeSeconds ?? 3600)
  })
}

/** IMDSv2: a token from PUT /latest/api/token is required on every GET. */
export function fakeImds(options: { lifetimeSeconds?: number; role?: string } = {}): Promise<HttpFake> {
  const role = options.role ?? 'rivet-instance-role'
  const base = '/latest/meta-data/iam/security-credentials/'
  return httpFake((request) => {
    if (request.method === 'PUT' && request.url === '/latest/api/token') {
      return request.headers['x-aws-ec2-metadata-token-ttl-seconds']
        ? { status: 200, body: AWS_PLANTED.imdsToken }
        : { status: 400 }
    }
    if (request.headers['x-aws-ec2-metadata-token'] !== AWS_PLANTED.imdsToken) return { status: 401 }
    if (request.url === base) return { status: 200, body: `${role}\n` }
    if (request.url === `${base}${role}`) {
      return json(200, { Code: 'Success', Type: 'AWS-HMAC', ...issue(options.lifetimeSeconds ?? 3600) })
    }
    return { status: 404 }
  })
}

/** ECS/EKS container credentials: the Authorization header must be `token`. */
export function fakeContainer(options: { token?: string; lifetimeSeconds?: number } = {}): Promise<HttpFake> {
  return httpFake((request) => {
    if (options.token && request.headers.authorization !== options.token) {
      return json(401, { code: 'AccessDenied', message: 'bad token' })
    }
    const c = issue(options.lifetimeSeconds ?? 3600)
    return json(200, {
      AccessKeyId: c.AccessKeyId,
      SecretAccessKey: c.SecretAccessKey,
      Token: c.SessionToken,
      Expiration: c.Expiration,
    })
  })
}

/** The SSO portal's GetRoleCredentials: the bearer token must be `accessToken`. */
export function fakeSsoPortal(options: { accessToken: string; lifetimeSeconds?: number }): Promise<HttpFake> {
  return httpFake((request) => {
    const url = new URL(request.url, 'http://fake')
    if (url.pathname !== '/federation/credentials') return { status: 404 }
    if (request.headers['x-amz-sso_bearer_token'] !== options.accessToken) {
      return json(401, { message: 'Session token not found or invalid' })
    }
    const c = issue(options.lifetimeSeconds ?? 3600)
    return json(200, {
      roleCredentials: {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        sessionToken: c.SessionToken,
        expiration: Date.parse(c.Expiration),
      },
    })
  })
}

/** A home directory with `.aws/config` and `.aws/credentials` holding the given text. */
export function awsHome(files: { config?: string; credentials?: string } = {}): string {
  const home = tempDir('rivet-aws-home-')
  mkdirSync(join(home, '.aws'), { recursive: true })
  if (files.config !== undefined) writeFileSync(join(home, '.aws', 'config'), files.config)
  if (files.credentials !== undefined) writeFileSync(join(home, '.aws', 'credentials'), files.credentials)
  return home
}

/**
 * An environment with none of the machine's AWS settings: every AWS_* variable removed, HOME
 * an empty directory (unless given), instance metadata off (unless given), plus `vars`.
 */
export function awsEnv(vars: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  const cleared = Object.fromEntries(
    Object.keys(process.env).filter((k) => k.startsWith('AWS_')).map((k) => [k, undefined]),
  )
  return { ...cleared, HOME: awsHome(), AWS_EC2_METADATA_DISABLED: 'true', ...vars }
}

/** Replaces this process's environment with {@link awsEnv}`(vars)`; returns the undo. */
export function useAwsEnv(vars: Record<string, string | undefined> = {}): () => void {
  const saved = { ...process.env }
  for (const [key, value] of Object.entries(awsEnv(vars))) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
  return () => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
    Object.assign(process.env, saved)
  }
}

/** What an in-process credential suite keeps for its last test, which scans it for planted secrets. */
export interface PrintedRecord {
  /** A debug-level JSON logger; its lines are kept. */
  logger: Logger
  /** Every line `logger` wrote. */
  logLines: string[]
  /** The RivetError a promise or function fails with; its message is kept. */
  failure(work: Promise<unknown> | (() => unknown)): Promise<RivetError>
  /** Every kept failure message and log line, as one text. */
  printed(): string
}

/** A fresh {@link PrintedRecord}: a suite's provider logs and failures all go through it. */
export function printedRecord(): PrintedRecord {
  const logLines: string[] = []
  const messages: string[] = []
  return {
    logger: new Logger('debug', 'json', (line) => logLines.push(line)),
    logLines,
    async failure(work) {
      try {
        await (typeof work === 'function' ? work() : work)
      } catch (error) {
        expect(error).toBeInstanceOf(RivetError)
        messages.push((error as RivetError).message)
        return error as RivetError
      }
      throw new Error('expected a failure')
    },
    printed: () => [...messages, ...logLines].join('\n'),
  }
}
