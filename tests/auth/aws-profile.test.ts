/**
 * Every kind of AWS profile, resolved in-process against fakes reached through the standard
 * variables: static keys, credential_process, role_arn with source_profile and
 * credential_source, SSO (sso_session and legacy), AWS Login sessions.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { awsCredentials } from '../../src/auth/aws/chain.ts'
import {
  AWS_PLANTED,
  awsHome,
  fakeSsoPortal,
  fakeSts,
  issue,
  printedRecord,
  signingKey,
  stsAnswer,
  stsError,
  useAwsEnv,
} from '../helpers/aws.ts'
import { tempDir } from '../helpers/files.ts'
import { type HttpFake, httpFake } from '../helpers/http-fake.ts'

const ROLE = 'arn:aws:iam::123456789012:role/rivet-export'
const { logger, logLines, failure, printed } = printedRecord()

let sts: HttpFake
let restore = () => {}
beforeAll(async () => {
  sts = await fakeSts({ lifetimeSeconds: 900 })
})
afterAll(() => sts.close())
afterEach(() => restore())

/** The provider for `aws_profile: name` with the given files. */
function profile(
  name: string,
  files: { config?: string; credentials?: string },
  vars: Record<string, string> = {},
) {
  restore = useAwsEnv({ HOME: awsHome(files), AWS_ENDPOINT_URL_STS: sts.url, ...vars })
  return awsCredentials({ aws_profile: name }, 'destination s3://b', { region: 'us-east-1', logger })
}

/** A shell command that prints `body` as credential_process output and counts its calls in `file`. */
function processCommand(body: object, file: string): string {
  return `sh -c 'echo call >> ${file}; printf "%s" "$0"' '${JSON.stringify(body)}'`
}

describe('AWS profiles', () => {
  test('static keys, with and without aws_session_token; keys rotated in the file are read on refresh', async () => {
    const provider = profile('dev', {
      credentials:
        `[dev]\naws_access_key_id = AKIADEV000000001\naws_secret_access_key = ${AWS_PLANTED.secret}-dev\n` +
        `[temp]\naws_access_key_id = ASIATEMP00000001\naws_secret_access_key = ${AWS_PLANTED.secret}-t\n` +
        `aws_session_token = ${AWS_PLANTED.sessionToken}-t\n`,
    })
    expect(provider.source).toBe('profile dev (static)')
    const creds = await provider.get()
    expect(creds.accessKeyId).toBe('AKIADEV000000001')
    expect(creds.secretAccessKey.reveal()).toBe(`${AWS_PLANTED.secret}-dev`)
    expect(creds.sessionToken).toBeUndefined()
    expect(creds.expiresAt).toBeUndefined()

    writeFileSync(
      join(process.env.HOME!, '.aws', 'credentials'),
      `[dev]\naws_access_key_id = AKIADEV000000002\naws_secret_access_key = ${AWS_PLANTED.secret}-dev2\n`,
    )
    expect((await provider.get()).accessKeyId).toBe('AKIADEV000000001')
    provider.invalidate()
    expect((await provider.get()).accessKeyId).toBe('AKIADEV000000002')

    const temp = profile('temp', {
      credentials:
        `[temp]\naws_access_key_id = ASIATEMP00000001\naws_secret_access_key = ${AWS_PLANTED.secret}-t\n` +
        `aws_session_token = ${AWS_PLANTED.sessionToken}-t\n`,
    })
    expect((await temp.get()).sessionToken?.reveal()).toBe(`${AWS_PLANTED.sessionToken}-t`)
  })

  test('an unknown profile is a config error naming both files; a profile without credentials exits 4', async () => {
    const missing = await failure(() => profile('nope', { config: '[default]\nregion = x\n' }))
    expect(missing.code).toBe('CONFIG_PROFILE_NOT_FOUND')
    expect(missing.exit).toBe(2)
    expect(missing.message).toBe(
      `destination s3://b: AWS profile nope is in neither ${process.env.HOME}/.aws/config nor ${process.env.HOME}/.aws/credentials`,
    )
    const empty = await failure(() => profile('default', { config: '[default]\nregion = x\n' }))
    expect(empty.exit).toBe(4)
    expect(empty.message).toBe(
      'destination s3://b: AWS profile default has no credentials: set aws_access_key_id and aws_secret_access_key, ' +
        'credential_process, role_arn, sso_session or login_session',
    )
  })

  test('credential_process: its Expiration drives refresh, and it runs again only when needed', async () => {
    const calls = join(tempDir(), 'calls')
    const body = { Version: 1, ...issue(3600) }
    const provider = profile('ci', {
      config: `[profile ci]\ncredential_process = ${processCommand(body, calls)}\n`,
    })
    expect(provider.source).toBe('profile ci (credential_process)')
    expect(provider.refreshable).toBe(true)
    const creds = await provider.get()
    expect(creds.accessKeyId).toBe(body.AccessKeyId)
    expect(creds.sessionToken?.reveal()).toBe(body.SessionToken)
    expect(creds.expiresAt?.toISOString()).toBe(body.Expiration)
    await provider.get()
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toHaveLength(1)
    provider.invalidate()
    await provider.get()
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toHaveLength(2)
  })

  test('credential_process failures exit 4 and say what went wrong', async () => {
    const dir = tempDir()
    const run = (command: string) =>
      failure(profile('ci', { config: `[profile ci]\ncredential_process = ${command}\n` }).get())
    const failed = await run(`sh -c 'echo "token broker: not logged in" >&2; exit 3'`)
    expect(failed.message).toBe('profile ci (credential_process) exited with 3: token broker: not logged in')
    expect(failed.code).toBe('AUTH_FAILED')
    const version = await run(processCommand({ ...issue(60), Version: 2 }, join(dir, 'c')))
    expect(version.message).toBe('profile ci (credential_process) printed Version 2; only 1 is known')
    const expired = await run(processCommand({ Version: 1, ...issue(-60) }, join(dir, 'c')))
    expect(expired.code).toBe('AUTH_EXPIRED')
    expect(expired.message).toMatch(/^profile ci \(credential_process\) printed credentials that expired at /)
    const garbage = await run(`echo not-json-${AWS_PLANTED.secret}`)
    expect(garbage.message).toMatch(
      /^profile ci \(credential_process\) did not return JSON credentials \(\d+ bytes/,
    )
  })

  test('role_arn + source_profile assumes the role with the source profile keys (STS AssumeRole)', async () => {
    const before = sts.requests.length
    const provider = profile('prod', {
      config: `[profile prod]\nrole_arn = ${ROLE}\nsource_profile = base\nrole_session_name = nightly\n` +
        `duration_seconds = 1800\nexternal_id = ${AWS_PLANTED.externalId}\n`,
      credentials:
        `[base]\naws_access_key_id = AKIABASE00000001\naws_secret_access_key = ${AWS_PLANTED.secret}-base\n`,
    })
    expect(provider.source).toBe(`profile prod (assumed role ${ROLE} via profile base (static))`)
    const creds = await provider.get()
    expect(creds.accessKeyId).toMatch(/^ASIAFAKE/)
    expect(creds.sessionToken?.reveal()).toStartWith(AWS_PLANTED.sessionToken)
    const request = sts.requests[before]
    expect(signingKey(request)).toBe('AKIABASE00000001')
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: ROLE,
      RoleSessionName: 'nightly',
      DurationSeconds: '1800',
      ExternalId: AWS_PLANTED.externalId,
    })
  })

  test('role chains (role -> role -> keys), credential_source = Environment, and loops', async () => {
    const before = sts.requests.length
    const chained = profile('top', {
      config: `[profile top]\nrole_arn = ${ROLE}-top\nsource_profile = mid\n` +
        `[profile mid]\nrole_arn = ${ROLE}-mid\nsource_profile = keys\n`,
      credentials:
        `[keys]\naws_access_key_id = AKIAKEYS00000001\naws_secret_access_key = ${AWS_PLANTED.secret}-k\n`,
    })
    const creds = await chained.get()
    const [mid, top] = sts.requests.slice(before)
    expect(signingKey(mid)).toBe('AKIAKEYS00000001')
    expect(new URLSearchParams(mid.body).get('RoleArn')).toBe(`${ROLE}-mid`)
    expect(new URLSearchParams(top.body).get('RoleArn')).toBe(`${ROLE}-top`)
    expect(signingKey(top)).not.toBe(creds.accessKeyId)
    expect(signingKey(top)).toMatch(/^ASIAFAKE/)

    const fromEnv = profile('envrole', {
      config: `[profile envrole]\nrole_arn = ${ROLE}\ncredential_source = Environment\n`,
    }, { AWS_ACCESS_KEY_ID: 'AKIAENVIRONMENT1', AWS_SECRET_ACCESS_KEY: `${AWS_PLANTED.secret}-env` })
    expect(fromEnv.source).toBe(`profile envrole (assumed role ${ROLE} via env static (AWS_ACCESS_KEY_ID))`)
    await fromEnv.get()
    expect(signingKey(sts.requests.at(-1)!)).toBe('AKIAENVIRONMENT1')

    const loop = await failure(() =>
      profile('a', {
        config:
          `[profile a]\nrole_arn = ${ROLE}\nsource_profile = b\n[profile b]\nrole_arn = ${ROLE}\nsource_profile = a\n`,
      })
    )
    expect(loop.message).toBe('AWS profiles a -> b -> a form a source_profile loop')
    const bad = await failure(() =>
      profile('x', { config: `[profile x]\nrole_arn = ${ROLE}\ncredential_source = Nope\n` })
    )
    expect(bad.message).toBe(
      'AWS profile x has credential_source = Nope; use Environment, Ec2InstanceMetadata or EcsContainer',
    )
  })

  test('web_identity_token_file in a profile; a base that STS calls expired is renewed once', async () => {
    const tokenFile = join(tempDir(), 'token')
    writeFileSync(tokenFile, AWS_PLANTED.webIdentityToken)
    const webSts = await fakeSts({ webToken: AWS_PLANTED.webIdentityToken })
    try {
      const web = profile('pod', {
        config: `[profile pod]\nrole_arn = ${ROLE}\nweb_identity_token_file = ${tokenFile}\n`,
      }, {
        AWS_ENDPOINT_URL_STS: webSts.url,
      })
      expect(web.source).toBe(`profile pod (web identity role ${ROLE})`)
      expect((await web.get()).accessKeyId).toMatch(/^ASIAFAKE/)
    } finally {
      await webSts.close()
    }

    // The first AssumeRole is refused as ExpiredToken: the base (a credential_process) runs again.
    let answered = 0
    const expiring = await httpFake(() =>
      answered++ === 0
        ? stsError(400, 'ExpiredToken', 'The security token included in the request is expired')
        : stsAnswer('AssumeRole', 900)
    )
    try {
      const calls = join(tempDir(), 'calls')
      const provider = profile('role', {
        config: `[profile role]\nrole_arn = ${ROLE}\nsource_profile = ci\n` +
          `[profile ci]\ncredential_process = ${processCommand({ Version: 1, ...issue(3600) }, calls)}\n`,
      }, { AWS_ENDPOINT_URL_STS: expiring.url })
      expect((await provider.get()).accessKeyId).toMatch(/^ASIAFAKE/)
      expect(expiring.requests).toHaveLength(2)
      expect(readFileSync(calls, 'utf8').trim().split('\n')).toHaveLength(2)
    } finally {
      await expiring.close()
    }
  })

  describe('SSO', () => {
    let portal: HttpFake
    beforeAll(async () => {
      portal = await fakeSsoPortal({ accessToken: AWS_PLANTED.ssoAccessToken, lifetimeSeconds: 3600 })
    })
    afterAll(() => portal.close())

    const ssoConfig =
      '[profile dev]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Exporter\n' +
      '[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n'
    const legacyConfig =
      '[profile old]\nsso_start_url = https://old.awsapps.com/start\nsso_region = eu-west-1\n' +
      'sso_account_id = 111122223333\nsso_role_name = Exporter\n'

    /** Writes the token cache entry `aws sso login` would, keyed by sha1 of `key`. */
    function cacheToken(key: string, accessToken: string, expiresInSeconds: number) {
      const dir = join(process.env.HOME!, '.aws', 'sso', 'cache')
      mkdirSync(dir, { recursive: true })
      writeFileSync(
        join(dir, `${createHash('sha1').update(key).digest('hex')}.json`),
        JSON.stringify({
          startUrl: 'https://corp.awsapps.com/start',
          region: 'eu-west-1',
          accessToken,
          expiresAt: new Date(Date.now() + expiresInSeconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z'),
        }),
      )
    }

    test('sso_session: the cached token (sha1 of the session name) buys role credentials at the portal', async () => {
      const provider = profile('dev', { config: ssoConfig }, { AWS_ENDPOINT_URL_SSO: portal.url })
      cacheToken('corp', AWS_PLANTED.ssoAccessToken, 3600)
      expect(provider.source).toBe('profile dev (sso)')
      const creds = await provider.get()
      expect(creds.accessKeyId).toMatch(/^ASIAFAKE/)
      expect(creds.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 3500_000)
      const request = portal.requests.at(-1)!
      expect(request.url).toBe('/federation/credentials?account_id=111122223333&role_name=Exporter')
    })

    test('legacy sso_start_url profiles use sha1 of the start URL', async () => {
      const provider = profile('old', { config: legacyConfig }, { AWS_ENDPOINT_URL_SSO: portal.url })
      cacheToken('https://old.awsapps.com/start', AWS_PLANTED.ssoAccessToken, 3600)
      expect((await provider.get()).accessKeyId).toMatch(/^ASIAFAKE/)
    })

    test('no login, an expired token, or one the portal refuses: exit 4 with `aws sso login --profile dev`', async () => {
      const none = await failure(
        profile('dev', { config: ssoConfig }, { AWS_ENDPOINT_URL_SSO: portal.url }).get(),
      )
      expect(none.message).toMatch(
        /^profile dev \(sso\): no SSO login is cached \(.*\.json\); run `aws sso login --profile dev`$/,
      )
      const provider = profile('dev', { config: ssoConfig }, { AWS_ENDPOINT_URL_SSO: portal.url })
      cacheToken('corp', AWS_PLANTED.ssoAccessToken, -60)
      const expired = await failure(provider.get())
      expect(expired.code).toBe('AUTH_EXPIRED')
      expect(expired.exit).toBe(4)
      expect(expired.message).toMatch(
        /^profile dev \(sso\): the SSO session expired at \S+; run `aws sso login --profile dev`$/,
      )
      cacheToken('corp', `${AWS_PLANTED.ssoAccessToken}-revoked`, 3600)
      const refused = await failure(provider.get())
      expect(refused.code).toBe('AUTH_EXPIRED')
      expect(refused.message).toBe(
        `profile dev (sso): the SSO portal ${portal.url} no longer accepts the cached SSO token; ` +
          'run `aws sso login --profile dev`',
      )
    })

    test('an sso_session without its section is a config error', async () => {
      const error = await failure(() =>
        profile('dev', {
          config: '[profile dev]\nsso_session = gone\nsso_account_id = 1\nsso_role_name = r\n',
        })
      )
      expect(error.message).toMatch(
        /^AWS profile dev in .*config names sso_session gone, which has no \[sso-session\] section$/,
      )
    })
  })

  test('AWS Login: fresh cached credentials are used; stale or unreadable ones name the export-credentials bridge', async () => {
    const session = 'arn:aws:iam::123456789012:user/alice'
    const config = `[profile console]\nlogin_session = ${session}\n`
    const login = (cacheDir: string) =>
      profile('console', { config }, { AWS_LOGIN_CACHE_DIRECTORY: cacheDir })
    const bridge = 'run `aws login --profile console`, or for long runs give rivet a profile with ' +
      '`credential_process = aws configure export-credentials --profile console --format process`'
    const c = issue(900)
    /** Writes the cache entry `aws login` would: sha256 of the session, credentials under accessToken. */
    const cache = (dir: string, expiresAt: string) =>
      writeFileSync(
        join(dir, `${createHash('sha256').update(session).digest('hex')}.json`),
        JSON.stringify({
          accessToken: {
            accessKeyId: c.AccessKeyId,
            secretAccessKey: c.SecretAccessKey,
            sessionToken: c.SessionToken,
            accountId: '123456789012',
            expiresAt,
          },
          clientId: 'arn:aws:signin:::devtools/same-device',
          refreshToken: `${AWS_PLANTED.sessionToken}-refresh`,
        }),
      )

    const unreadable = await failure(login('/nonexistent').get())
    expect(unreadable.message).toMatch(
      /^profile console \(aws login\): rivet cannot read the AWS Login cache /,
    )
    expect(unreadable.message).toEndWith(bridge)

    const dir = tempDir()
    const provider = login(dir)
    cache(dir, c.Expiration)
    expect(provider.source).toBe('profile console (aws login)')
    expect((await provider.get()).accessKeyId).toBe(c.AccessKeyId)

    cache(dir, new Date(Date.now() - 60_000).toISOString())
    provider.invalidate()
    const stale = await failure(provider.get())
    expect(stale.code).toBe('AUTH_EXPIRED')
    expect(stale.message).toContain('and rivet cannot renew an AWS Login session itself; ')
    expect(stale.message).toEndWith(bridge)
  })

  test('nothing secret in any message or debug log line', () => {
    const text = printed()
    expect(logLines.length).toBeGreaterThan(5)
    for (const planted of Object.values(AWS_PLANTED)) expect(text).not.toContain(planted)
  })
})
