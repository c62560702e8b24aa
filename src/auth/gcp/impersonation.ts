/**
 * Service account impersonation: the IAM Credentials API's generateAccessToken, called with the
 * base credential's token, hands out a token of the target service account. Each refresh asks
 * the base for its current token first, so a base that expires is renewed underneath.
 * https://cloud.google.com/iam/docs/reference/credentials/rest/v1/projects.serviceAccounts/generateAccessToken
 */
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import { env } from '../../runtime/process.ts'
import { callEndpoint, refusalStatus } from './endpoint.ts'
import type { GoogleCredentials, GoogleSource, GoogleToken } from './source.ts'

/** The lifetime asked for: the default maximum without an organisation policy raising it. */
const LIFETIME = '3600s'

/**
 * The generateAccessToken URL of `email`, on the IAM Credentials endpoint gcloud's
 * `api_endpoint_overrides/iamcredentials` property (CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS) names.
 */
export function impersonationUrl(email: string): string {
  const base = env('CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS') ||
    'https://iamcredentials.googleapis.com/'
  return `${base.replace(/\/+$/, '')}/v1/projects/-/serviceAccounts/${
    encodeURIComponent(email)
  }:generateAccessToken`
}

/** The service account a generateAccessToken URL names. */
function targetOf(url: string): string {
  const match = /\/serviceAccounts\/([^/:]+):generateAccessToken$/.exec(new URL(url).pathname)
  return match ? decodeURIComponent(match[1]) : url
}

/** What to impersonate. */
export interface ImpersonationTarget {
  /** The generateAccessToken URL (from a credential file, or {@link impersonationUrl}). */
  url: string
  /** Service accounts the chain of delegation goes through, if any. */
  delegates?: string[]
  scope: string
}

/** The source that impersonates `target` with the tokens `base` hands out. */
export function impersonatedSource(base: GoogleCredentials, target: ImpersonationTarget): GoogleSource {
  const email = targetOf(target.url)
  const source = `impersonated ${email} via ${base.source}`
  const renew = `the credential from ${base.source} must be allowed to impersonate ${email} ` +
    `(roles/iam.serviceAccountTokenCreator); if it is: ${base.renew}`
  const body = JSON.stringify({
    scope: [target.scope],
    lifetime: LIFETIME,
    ...(target.delegates?.length ? { delegates: target.delegates } : {}),
  })
  const generate = async (): Promise<GoogleToken> => {
    const json = await callEndpoint(target.url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${(await base.get()).token.reveal()}`,
        'content-type': 'application/json',
      },
      body,
    }, { what: source, renew })
    const expiresAt = new Date(String(json.expireTime))
    if (typeof json.accessToken !== 'string' || !json.accessToken || Number.isNaN(expiresAt.getTime())) {
      throw authError(`${source}: generateAccessToken answered without accessToken and expireTime`)
    }
    return { token: new Secret(json.accessToken), expiresAt, identity: email }
  }
  return {
    source,
    renew,
    fetch: async () => {
      try {
        return await generate()
      } catch (error) {
        // The base token was refused before its stated expiry: renew it once.
        if (refusalStatus(error) !== 401 || !base.refreshable) throw error
        base.invalidate()
        return await generate()
      }
    },
  }
}
