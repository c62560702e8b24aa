/**
 * A small STS client: AssumeRole (signed with the base credentials) and
 * AssumeRoleWithWebIdentity (unsigned: the token is the proof), as form POSTs to
 * AWS_ENDPOINT_URL_STS or the regional endpoint, with the XML answer parsed. Refusals become
 * auth errors (exit 4) naming the role, the endpoint and STS's own code.
 */
import { AwsClient } from 'aws4fetch'
import { xmlTag } from '../../http/xml.ts'
import { withRetry } from '../../http/retry.ts'
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import type { AwsCredentials } from '../credentials.ts'
import { serviceEndpoint } from './endpoints.ts'
import { fetchWithin, NoAnswerError } from '../../http/request.ts'
import type { IniSection } from './ini.ts'

/** STS answers within seconds; past this something is wrong with the network. */
const STS_TIMEOUT_MS = 15_000

/** The role to assume and the session to ask for. */
export interface RoleRequest {
  roleArn: string
  sessionName: string
  /** Seconds; STS's default (1 hour) when absent. */
  durationSeconds?: number
  /** The external id the role's trust policy requires. */
  externalId?: Secret
  /** Where the external id comes from (a variable's name, a profile): part of the session's identity. */
  externalIdFrom?: string
}

/** Where STS is: the region, and the profile whose `endpoint_url` may override it. */
export interface StsTarget {
  region: string
  profile?: IniSection
}

/** The STS endpoint for a target. */
export function stsEndpoint(target: StsTarget): string {
  return serviceEndpoint('STS', `sts.${target.region}`, target.region, target.profile)
}

/** An STS error answer: HTTP status and STS's code. */
class StsError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message)
  }
}

function transient(error: unknown): boolean {
  return error instanceof NoAnswerError ||
    (error instanceof StsError && (error.status >= 500 || error.code === 'Throttling'))
}

/** The role's new credentials from a successful answer. */
function credentialsFromXml(xml: string, action: string): AwsCredentials {
  const accessKeyId = xmlTag(xml, 'AccessKeyId')
  const secret = xmlTag(xml, 'SecretAccessKey')
  const token = xmlTag(xml, 'SessionToken')
  const expiration = xmlTag(xml, 'Expiration')
  if (!accessKeyId || !secret || !token || !expiration) {
    throw authError(`STS ${action} answered without complete credentials`)
  }
  return {
    accessKeyId,
    secretAccessKey: new Secret(secret),
    sessionToken: new Secret(token),
    expiresAt: new Date(expiration),
  }
}

async function call(
  action: 'AssumeRole' | 'AssumeRoleWithWebIdentity',
  params: Record<string, string>,
  request: RoleRequest,
  target: StsTarget,
  signer?: AwsCredentials,
): Promise<AwsCredentials> {
  const endpoint = stsEndpoint(target)
  const url = `${endpoint}/`
  const form = new URLSearchParams({
    Action: action,
    Version: '2011-06-15',
    RoleArn: request.roleArn,
    RoleSessionName: request.sessionName,
    ...(request.durationSeconds ? { DurationSeconds: String(request.durationSeconds) } : {}),
    ...params,
  })
  const body = form.toString()
  let headers = new Headers({ 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' })
  if (signer) {
    const client = new AwsClient({
      accessKeyId: signer.accessKeyId,
      secretAccessKey: signer.secretAccessKey.reveal(),
      sessionToken: signer.sessionToken?.reveal(),
      service: 'sts',
      region: target.region,
    })
    headers = (await client.sign(url, { method: 'POST', headers, body })).headers
  }
  const what = `STS ${action} for ${request.roleArn} at ${endpoint}`
  try {
    return await withRetry(
      async () => {
        const answer = await fetchWithin(url, { method: 'POST', headers, body }, STS_TIMEOUT_MS)
        if (!answer.ok) {
          const code = xmlTag(answer.text, 'Code') ?? `HTTP${answer.status}`
          throw new StsError(answer.status, code, xmlTag(answer.text, 'Message') ?? '')
        }
        return credentialsFromXml(answer.text, action)
      },
      transient,
      { attempts: 3, baseMs: 200, maxMs: 2000 },
    )
  } catch (error) {
    if (error instanceof StsError) {
      const expired = error.code === 'ExpiredToken' || error.code === 'ExpiredTokenException'
      throw authError(
        `${what} was refused: ${error.code}${error.message ? `: ${error.message}` : ''}`,
        expired ? 'AUTH_EXPIRED' : 'AUTH_FAILED',
        error,
      )
    }
    if (error instanceof NoAnswerError) {
      throw authError(`${what} failed: ${error.message}`, 'AUTH_UNAVAILABLE', error)
    }
    throw error
  }
}

/** Assumes `request.roleArn` with `base` credentials. */
export function assumeRole(
  base: AwsCredentials,
  request: RoleRequest,
  target: StsTarget,
): Promise<AwsCredentials> {
  const params: Record<string, string> = request.externalId ? { ExternalId: request.externalId.reveal() } : {}
  return call('AssumeRole', params, request, target, base)
}

/** Assumes `request.roleArn` with an OIDC token (EKS IRSA, GitHub Actions, ...). */
export function assumeRoleWithWebIdentity(
  token: Secret,
  request: RoleRequest,
  target: StsTarget,
): Promise<AwsCredentials> {
  return call('AssumeRoleWithWebIdentity', { WebIdentityToken: token.reveal() }, request, target)
}
