/**
 * What every AWS credential source shares: a name for messages, a way to fetch the current
 * credentials, and the one cache ({@link RefreshingCredentials}) that keeps them fresh. The
 * cache logs each fetch at debug level (masked key id and expiry only) and every failed
 * background refresh as a warning, so a long run shows what happened without showing a secret.
 */
import type { Logger } from '../../log/logger.ts'
import { type AwsCredentials, type CredentialProvider, maskKeyId, timeLeft } from '../credentials.ts'
import { RefreshingCredentials } from '../refreshing.ts'

/** A place credentials come from: its name and how to fetch the current ones. */
export interface AwsSource {
  /** For messages and `doctor`: `profile dev (sso)`, `instance metadata (IMDSv2)`. */
  source: string
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

/** `source` behind the shared cache: fetched when first needed and again before it expires. */
export function cached(source: AwsSource, context: AwsContext): CredentialProvider<AwsCredentials> {
  const logger = context.logger
  return new RefreshingCredentials(source.source, async () => {
    const credentials = await source.fetch()
    logger?.debug(`credentials from ${source.source}: key ${maskKeyId(credentials.accessKeyId)}`, {
      expires_at: credentials.expiresAt?.toISOString(),
      expires_in: credentials.expiresAt ? timeLeft(credentials.expiresAt) : undefined,
    })
    return credentials
  }, {
    onBackgroundError: (error) =>
      logger?.warn(
        `credentials from ${source.source}: refresh failed, still using the current ones: ${
          (error as Error).message
        }`,
      ),
  })
}
