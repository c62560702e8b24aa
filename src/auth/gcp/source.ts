/**
 * What every Google credential source shares: the token with the identity it acts as, a
 * source's name and renew hint, and the one cache in front of it, which logs each fetch at
 * debug level (masked identity and expiry only) and every failed background refresh as a warning.
 */
import type { Logger } from '../../log/logger.ts'
import { type BearerToken, type CredentialProvider, maskKeyId } from '../credentials.ts'
import { loggedRefreshing } from '../refreshing.ts'
import { sharedProvider, sourceKey } from '../shared.ts'

/** Variables that point the Google sources at their files and endpoints (never at a secret). */
const GCP_LOCATORS = [
  'HOME',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'CLOUDSDK_CONFIG',
  'CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS',
  'GCE_METADATA_HOST',
]

/** An OAuth access token for Google APIs. */
export interface GoogleToken extends BearerToken {
  /** Who the token acts as (a service account's email), when the source knows. */
  identity?: string
}

/** A place Google tokens come from. */
export interface GoogleSource {
  /** For messages and `doctor`: `credentials file /etc/rivet/sa.json (service account)`. */
  source: string
  /** What a user does when this source's credential is refused or cannot be renewed. */
  renew: string
  /** Fetches a fresh token; throws a RivetError (exit 4) that names the source and the fix. */
  fetch(): Promise<GoogleToken>
}

/** Where a credential file was found. */
export interface FileOrigin {
  /** For source names: `credentials_file /etc/rivet/sa.json`, `ADC from gcloud (<path>)`. */
  label: string
  path: string
  /** True for the file `gcloud auth application-default login` writes and renews. */
  gcloud: boolean
}

/** A provider of Google tokens that also says how to renew them by hand. */
export interface GoogleCredentials extends CredentialProvider<GoogleToken> {
  readonly renew: string
}

/** An email with its local part masked, `rive****rter@proj.iam.gserviceaccount.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@')
  return at < 0 ? maskKeyId(email) : `${maskKeyId(email.slice(0, at))}${email.slice(at)}`
}

/**
 * `source` behind the shared cache: fetched when first needed and again before it expires. The
 * process has one such provider per source (see shared.ts).
 */
export function cachedToken(source: GoogleSource, logger?: Logger): GoogleCredentials {
  const key = sourceKey(['gcp', source.source], GCP_LOCATORS)
  return sharedProvider(key, () => {
    const cache = loggedRefreshing(
      source.source,
      source.fetch,
      (token) => `token${token.identity ? ` for ${maskEmail(token.identity)}` : ''}`,
      logger,
      key,
    )
    return Object.assign(cache, { renew: source.renew })
  })
}
