/**
 * EC2 instance metadata, IMDSv2 only: a session token from PUT /latest/api/token, then the
 * role name and its credentials. Every request has a one-second deadline, so off EC2 (where
 * 169.254.169.254 usually swallows packets) the chain gives up in about a second instead of
 * hanging. IMDSv1 is not tried: instances that still allow it also answer v2.
 */
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import { env } from '../../runtime/process.ts'
import { fetchWithin, type HttpAnswer, NoAnswerError } from '../../http/request.ts'
import { credentialsFromJson, parseJsonObject } from './json.ts'
import type { AwsSource } from './source.ts'

/** Per request, as the AWS SDKs do: metadata answers in milliseconds when it exists at all. */
export const IMDS_TIMEOUT_MS = 1000

/** How long the metadata session token lives (the SDKs' six hours). */
const TOKEN_TTL_SECONDS = '21600'

/** Why the link does not apply, or undefined when it does. */
export function imdsDisabled(): string | undefined {
  return env('AWS_EC2_METADATA_DISABLED')?.toLowerCase() === 'true'
    ? 'AWS_EC2_METADATA_DISABLED=true'
    : undefined
}

/** The metadata endpoint: AWS_EC2_METADATA_SERVICE_ENDPOINT, else the IPv4 or IPv6 address. */
export function imdsEndpoint(): string {
  const configured = env('AWS_EC2_METADATA_SERVICE_ENDPOINT')
  if (configured) return configured.replace(/\/+$/, '')
  return env('AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE')?.toLowerCase() === 'ipv6'
    ? 'http://[fd00:ec2::254]'
    : 'http://169.254.169.254'
}

/** The source that fetches the instance role's credentials. */
export function imdsSource(): AwsSource {
  const source = 'instance metadata (IMDSv2)'
  return {
    source,
    fetch: async () => {
      const endpoint = imdsEndpoint()
      const what = `${source} at ${endpoint}`
      const request = async (path: string, init: RequestInit): Promise<HttpAnswer> => {
        let answer: HttpAnswer
        try {
          answer = await fetchWithin(`${endpoint}${path}`, init, IMDS_TIMEOUT_MS)
        } catch (error) {
          const reason = error instanceof NoAnswerError ? error.reason : (error as Error).message
          throw authError(`${what}: ${reason}`, 'AUTH_UNAVAILABLE', error)
        }
        if (answer.status === 404 && path.endsWith('/security-credentials/')) {
          throw authError(`${what}: no IAM role is attached to this instance`, 'AUTH_MISSING')
        }
        if (!answer.ok) {
          throw authError(`${what}: ${init.method ?? 'GET'} ${path} answered HTTP ${answer.status}`)
        }
        return answer
      }
      const token = new Secret(
        (await request('/latest/api/token', {
          method: 'PUT',
          headers: { 'x-aws-ec2-metadata-token-ttl-seconds': TOKEN_TTL_SECONDS },
        })).text.trim(),
      )
      const headers = { 'x-aws-ec2-metadata-token': token.reveal() }
      const base = '/latest/meta-data/iam/security-credentials/'
      const role = (await request(base, { headers })).text.split('\n')[0].trim()
      if (!role) throw authError(`${what}: no IAM role is attached to this instance`, 'AUTH_MISSING')
      const json = parseJsonObject(
        (await request(`${base}${encodeURIComponent(role)}`, { headers })).text,
        what,
      )
      if (json.Code !== undefined && json.Code !== 'Success') {
        throw authError(`${what}: the role's credentials are not available (${String(json.Code)})`)
      }
      return credentialsFromJson(json, what)
    },
  }
}
