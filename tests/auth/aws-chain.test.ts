/**
 * The AWS chain a destination without credential settings uses, link by link and in order,
 * against fakes reached through the standard variables; the "nothing found" message; the
 * one-second instance metadata deadline; and `role_arn` assumed on top of any base.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { awsCredentials, type AwsCredentialSettings } from '../../src/auth/aws/chain.ts'
import { containerEndpoint } from '../../src/auth/aws/container.ts'
import {
  AWS_PLANTED,
  awsHome,
  fakeContainer,
  fakeImds,
  fakeSts,
  printedRecord,
  signingKey,
  stsError,
  useAwsEnv,
} from '../helpers/aws.ts'
import { tempDir } from '../helpers/files.ts'
import { type HttpFake, httpFake } from '../helpers/http-fake.ts'

const ROLE = 'arn:aws:iam::123456789012:role/rivet-export'
const WHERE = 'destination s3://b'
const { logger, failure, printed } = printedRecord()

let sts: HttpFake
let imds: HttpFake
let container: HttpFake
let tokenFile: string
let restore = () => {}

beforeAll(async () => {
  sts = await fakeSts({ lifetimeSeconds: 900, webToken: AWS_PLANTED.webIdentityToken })
  imds = await fakeImds({ lifetimeSeconds: 900 })
  container = await fakeContainer({ token: AWS_PLANTED.containerToken, lifetimeSeconds: 900 })
  tokenFile = join(tempDir(), 'web-identity-token')
  writeFileSync(tokenFile, `${AWS_PLANTED.webIdentityToken}\n`)
})
afterAll(async () => {
  await Promise.all([sts.close(), imds.close(), container.close()])
})
afterEach(() => restore())

/** Resolves with only `vars` in the environment. */
function resolve(vars: Record<string, string | undefined>, settings: AwsCredentialSettings = {}) {
  restore()
  restore = useAwsEnv({ AWS_ENDPOINT_URL_STS: sts.url, ...vars })
  return awsCredentials(settings, WHERE, { region: 'eu-north-1', logger })
}

/** Every link configured at once; tests remove them from the front to see the order. */
function allLinks(): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'AKIAFROMENV00001',
    AWS_SECRET_ACCESS_KEY: `${AWS_PLANTED.secret}-env`,
    HOME: awsHome({
      credentials:
        `[default]\naws_access_key_id = AKIAFROMPROFILE1\naws_secret_access_key = ${AWS_PLANTED.secret}-p\n`,
    }),
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_ROLE_ARN: `${ROLE}-web`,
    AWS_ROLE_SESSION_NAME: 'ci-run-42',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.url}/v1/credentials`,
    AWS_CONTAINER_AUTHORIZATION_TOKEN: AWS_PLANTED.containerToken,
    AWS_EC2_METADATA_DISABLED: undefined as unknown as string,
    AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
  }
}

describe('AWS default chain', () => {
  test('order: environment, profile, web identity, container, instance metadata', async () => {
    const vars: Record<string, string | undefined> = allLinks()
    const sources: string[] = []
    const keys: string[] = []
    const drop: string[][] = [
      ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'],
      ['HOME'],
      ['AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_ROLE_ARN'],
      ['AWS_CONTAINER_CREDENTIALS_FULL_URI'],
      [],
    ]
    for (const names of drop) {
      const provider = resolve(vars)
      sources.push(provider.source)
      keys.push((await provider.get()).accessKeyId)
      for (const name of names) vars[name] = undefined
      if (names.includes('HOME')) vars.HOME = awsHome()
    }
    expect(sources).toEqual([
      'env static (AWS_ACCESS_KEY_ID)',
      'profile default (static)',
      `web identity role ${ROLE}-web`,
      'container credentials',
      'instance metadata (IMDSv2)',
    ])
    expect(keys.slice(0, 2)).toEqual(['AKIAFROMENV00001', 'AKIAFROMPROFILE1'])
    for (const key of keys.slice(2)) expect(key).toMatch(/^ASIAFAKE/)
  })

  test('environment: both keys needed; AWS_SESSION_TOKEN taken; never refreshable', async () => {
    const provider = resolve({
      AWS_ACCESS_KEY_ID: 'ASIAFROMENV00001',
      AWS_SECRET_ACCESS_KEY: `${AWS_PLANTED.secret}-e`,
      AWS_SESSION_TOKEN: `${AWS_PLANTED.sessionToken}-e`,
    })
    expect(provider.refreshable).toBe(false)
    expect((await provider.get()).sessionToken?.reveal()).toBe(`${AWS_PLANTED.sessionToken}-e`)
    const half = await failure(() => resolve({ AWS_ACCESS_KEY_ID: 'AKIAONLYKEY00001' }))
    expect(half.message).toStartWith(
      `${WHERE}: no AWS credentials found; tried environment (AWS_SECRET_ACCESS_KEY not set); `,
    )
  })

  test('profile link: AWS_PROFILE must exist; the implicit default is passed over when it has no credentials', async () => {
    const missing = await failure(() => resolve({ AWS_PROFILE: 'ghost' }))
    expect(missing.code).toBe('CONFIG_PROFILE_NOT_FOUND')
    const home = awsHome({ config: '[default]\nregion = eu-north-1\n' })
    const error = await failure(() => resolve({ HOME: home, AWS_EC2_METADATA_DISABLED: 'true' }))
    expect(error.message).toContain('; profile default (the default profile has no credentials); ')
  })

  test('web identity: the token file is read and exchanged at AWS_ENDPOINT_URL_STS with the session name', async () => {
    const provider = resolve({
      AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
      AWS_ROLE_ARN: ROLE,
      AWS_ROLE_SESSION_NAME: 'ci-42',
    })
    const creds = await provider.get()
    expect(creds.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 800_000)
    const request = sts.requests.at(-1)!
    expect(request.headers.authorization).toBeUndefined()
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: ROLE,
      RoleSessionName: 'ci-42',
      WebIdentityToken: AWS_PLANTED.webIdentityToken,
    })
    writeFileSync(tokenFile, 'rotated-but-wrong')
    provider.invalidate()
    const refused = await failure(provider.get())
    writeFileSync(tokenFile, AWS_PLANTED.webIdentityToken)
    expect(refused.code).toBe('AUTH_FAILED')
    expect(refused.message).toBe(
      `STS AssumeRoleWithWebIdentity for ${ROLE} at ${sts.url} was refused: InvalidIdentityToken: ` +
        'The web identity token is not valid',
    )
  })

  test('container: relative URI on 169.254.170.2, full URI with the token (file first), refusals exit 4', async () => {
    restore = useAwsEnv({ AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: '/v2/credentials/abc' })
    expect(containerEndpoint()).toBe('http://169.254.170.2/v2/credentials/abc')
    const plain = await failure(() =>
      resolve({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://10.0.0.5/creds' })
    )
    expect(plain.exit).toBe(2)
    expect(plain.message).toBe(
      'AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http on loopback or the ECS/EKS agent address; ' +
        'got http://10.0.0.5',
    )

    const file = join(tempDir(), 'eks-token')
    writeFileSync(file, `${AWS_PLANTED.containerToken}\n`)
    const before = container.requests.length
    const provider = resolve({
      AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.url}/v1/credentials`,
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: file,
      AWS_CONTAINER_AUTHORIZATION_TOKEN: 'ignored-when-the-file-is-set',
    })
    expect((await provider.get()).sessionToken?.reveal()).toStartWith(AWS_PLANTED.sessionToken)
    expect(container.requests[before].headers.authorization).toBe(AWS_PLANTED.containerToken)

    const refused = await failure(
      resolve({
        AWS_CONTAINER_CREDENTIALS_FULL_URI: `${container.url}/v1/credentials`,
        AWS_CONTAINER_AUTHORIZATION_TOKEN: 'wrong-token',
      }).get(),
    )
    expect(refused.code).toBe('AUTH_FAILED')
    expect(refused.message).toBe(
      `container credentials at ${container.url} refused the authorization token (HTTP 401); ` +
        'check AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN',
    )
  })

  test('instance metadata: IMDSv2 token first, then role and credentials, each with the token', async () => {
    const before = imds.requests.length
    const provider = resolve({
      AWS_EC2_METADATA_DISABLED: undefined,
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
    })
    const creds = await provider.get()
    expect(creds.accessKeyId).toMatch(/^ASIAFAKE/)
    expect(imds.requests.slice(before).map((r) => `${r.method} ${r.url}`)).toEqual([
      'PUT /latest/api/token',
      'GET /latest/meta-data/iam/security-credentials/',
      'GET /latest/meta-data/iam/security-credentials/rivet-instance-role',
    ])
    expect(imds.requests[before].headers['x-aws-ec2-metadata-token-ttl-seconds']).toBe('21600')
  })

  test('nothing found: exit 4 listing every link and why it did not apply', async () => {
    const disabled = await failure(() => resolve({}))
    expect(disabled.code).toBe('AUTH_MISSING')
    expect(disabled.exit).toBe(4)
    const home = process.env.HOME
    expect(disabled.message).toBe(
      `${WHERE}: no AWS credentials found; tried environment (AWS_ACCESS_KEY_ID not set); ` +
        `profile default (neither ${home}/.aws/config nor ${home}/.aws/credentials exists); ` +
        'web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set); ' +
        'container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set); ' +
        'instance metadata (IMDSv2) (AWS_EC2_METADATA_DISABLED=true). ' +
        'Set access_key_env and secret_key_env or aws_profile in the destination, or AWS_PROFILE',
    )
  })

  test('instance metadata that never answers costs one second, not a hang', async () => {
    const silent = await httpFake(() => 'hang')
    try {
      const provider = resolve({
        AWS_EC2_METADATA_DISABLED: undefined,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: silent.url,
      })
      const started = performance.now()
      const error = await failure(provider.get())
      const elapsed = performance.now() - started
      expect(elapsed).toBeGreaterThan(950)
      expect(elapsed).toBeLessThan(1600)
      expect(silent.requests.map((r) => r.method)).toEqual(['PUT'])
      expect(error.code).toBe('AUTH_MISSING')
      expect(error.message).toContain(
        `; instance metadata (IMDSv2) at ${silent.url}: no answer within 1 s. Set access_key_env`,
      )
    } finally {
      await silent.close()
    }
  })

  test('role_arn in the destination: assumed on top of the base with external id, session name and duration', async () => {
    const before = sts.requests.length
    const provider = resolve({
      RIVET_KEY: 'AKIARIVETBASE001',
      RIVET_SECRET: `${AWS_PLANTED.secret}-b`,
      RIVET_EXT: AWS_PLANTED.externalId,
    }, {
      access_key_env: 'RIVET_KEY',
      secret_key_env: 'RIVET_SECRET',
      role_arn: ROLE,
      external_id_env: 'RIVET_EXT',
      role_session_name: 'nightly-export',
      role_duration: 900,
    })
    expect(provider.source).toBe(`assumed role ${ROLE} via env static (RIVET_KEY)`)
    expect(provider.refreshable).toBe(true)
    const first = await provider.get()
    expect(signingKey(sts.requests[before])).toBe('AKIARIVETBASE001')
    expect(Object.fromEntries(new URLSearchParams(sts.requests[before].body))).toEqual({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      RoleArn: ROLE,
      RoleSessionName: 'nightly-export',
      DurationSeconds: '900',
      ExternalId: AWS_PLANTED.externalId,
    })
    provider.invalidate()
    expect((await provider.get()).accessKeyId).not.toBe(first.accessKeyId)

    const onChain = resolve({ AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile, AWS_ROLE_ARN: `${ROLE}-web` }, {
      role_arn: ROLE,
    })
    expect(onChain.source).toBe(`assumed role ${ROLE} via web identity role ${ROLE}-web`)
    await onChain.get()
  })

  test('an STS that refuses the base keys exits 4 naming role, endpoint and code', async () => {
    const refusing = await httpFake(() =>
      stsError(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.')
    )
    try {
      const error = await failure(
        resolve({
          AWS_ACCESS_KEY_ID: 'AKIABAD000000001',
          AWS_SECRET_ACCESS_KEY: 'x',
          AWS_ENDPOINT_URL_STS: refusing.url,
        }, {
          role_arn: ROLE,
        }).get(),
      )
      expect(error.code).toBe('AUTH_FAILED')
      expect(error.message).toBe(
        `STS AssumeRole for ${ROLE} at ${refusing.url} was refused: InvalidClientTokenId: ` +
          'The security token included in the request is invalid.',
      )
    } finally {
      await refusing.close()
    }
  })

  test('debug logs show sources, masked keys and expiry, never a secret', () => {
    const text = printed()
    expect(text).toContain('"msg":"credentials from instance metadata (IMDSv2): key ASIA****')
    expect(text).toContain('"expires_in":"')
    for (const planted of Object.values(AWS_PLANTED)) expect(text).not.toContain(planted)
  })
})
