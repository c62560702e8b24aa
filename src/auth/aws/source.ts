/**
 * What every AWS credential source shares: a name for messages, a way to fetch the current
 * credentials, and the one cache ({@link RefreshingCredentials}) that keeps them fresh. The
 * cache logs each fetch at debug level (masked key id and expiry only) and every failed
 * background refresh as a warning, so a long run shows what happened without showing a secret.
 */
import type { Logger } from '../../log/logger.ts'
import { type AwsCredentials, type CredentialProvider, maskKeyId } from '../credentials.ts'
import { loggedRefreshing } from '../refreshing.ts'
import { sharedProvider, sourceKey } from '../shared.ts'

/** Variables that point the AWS sources at their files and endpoints (never at a secret). */
const AWS_LOCATORS = [
  'HOME',
  'USERPROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_ENDPOINT_URL',
  'AWS_ENDPOINT_URL_STS',
  'AWS_ENDPOINT_URL_SSO',
  'AWS_IGNORE_CONFIGURED_ENDPOINT_URLS',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT',
  'AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_LOGIN_CACHE_DIRECTORY',
]

/** A place credentials come from: its name and how to fetch the current ones. */
export interface AwsSource {
  /** For messages and `doctor`: `profile dev (sso)`, `instance metadata (IMDSv2)`. */
  source: string
  /**
   * What tells this source apart from another with the same name (a role's session name and
   * STS region, its base's key); the name alone when absent. Never a secret.
   */
  key?: string
  /** Fetches fresh credentials; throws a RivetError (exit 4) that names the fix. */
  fetch(): Promise<AwsCredentials>
}

/** What resolving a destination's credentials needs besides its settings. */
export interface AwsContext {
  /** The config block, for messages: `destination s3://bucket`. */
  where: string
  /** Region for STS when neither the profile nor the environment names one. */
  region: string
  /** Where fetches (debug) and failed background refreshes (warn) are logged. */
  logger?: Logger
}

/**
 * `source` behind the shared cache: fetched when first needed and again before it expires. The
 * process has one such provider per source (see shared.ts): the first caller's logger is its.
 */
export function cached(source: AwsSource, context: AwsContext): CredentialProvider<AwsCredentials> {
  const key = sourceKey(['aws', source.key ?? source.source], AWS_LOCATORS)
  return sharedProvider(
    key,
    () =>
      loggedRefreshing(
        source.source,
        source.fetch,
        (credentials) => `key ${maskKeyId(credentials.accessKeyId)}`,
        context.logger,
        key,
      ),
  )
}
