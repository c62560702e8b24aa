/**
 * Turning an object store's failure into the exit code and one-line message a user acts on:
 * unreachable or missing bucket/container -> exit 5 naming it; refused or expired credentials ->
 * exit 4 naming the credential source (never its value) and what to check or refresh.
 */
import { authError, destinationError, RivetError } from '../errors.ts'
import { NetworkError, StoreError } from '../http/request.ts'

/** The bucket or container a destination writes to, as messages name it. */
export interface StoreTarget {
  /** e.g. `GCS bucket my-bucket`, `Azure container data (account acct)`. */
  what: string
  endpoint: string
  /** Where the credential came from, e.g. `env token (GOOGLE_OAUTH_ACCESS_TOKEN)`. */
  credentials: string
  /** What to check when the store refuses the credential. */
  authHint: string
  /** What to do when the bucket or container does not exist. */
  missingHint: string
  /**
   * For a store that says when a temporary credential expired or was revoked (S3): what was
   * refused and what to refresh, after `refused <operation>: `.
   */
  expired?: (error: StoreError) => string
}

/** What a store's error answer means for the user. */
export type Verdict = 'missing' | 'auth' | 'expired' | 'other'

/** The {@link RivetError} for a failed request; `classify` reads the store's error codes. */
export function storeFailure(
  error: unknown,
  target: StoreTarget,
  classify: (error: StoreError) => Verdict,
): RivetError {
  if (error instanceof RivetError) return error
  if (error instanceof NetworkError) {
    return destinationError(
      `${target.what} at ${target.endpoint} is unreachable: ${error.message}; check the endpoint and the network`,
      'DESTINATION_UNREACHABLE',
      error,
    )
  }
  if (!(error instanceof StoreError)) {
    return destinationError(`${target.what}: ${(error as Error).message}`, 'DESTINATION_FAILED', error)
  }
  switch (classify(error)) {
    case 'missing':
      return destinationError(
        `${target.what} does not exist at ${target.endpoint}; ${target.missingHint}`,
        'DESTINATION_NOT_FOUND',
        error,
      )
    case 'auth':
      return authError(
        `${target.what} refused ${error.operation} with ${error.status} ${error.code}: ${error.message}; ` +
          `credentials from ${target.credentials}: ${target.authHint}`,
        'AUTH_FAILED',
        error,
      )
    case 'expired':
      return authError(
        `${target.what} refused ${error.operation}: ${target.expired!(error)}`,
        'AUTH_EXPIRED',
        error,
      )
    case 'other':
      return destinationError(
        `${target.what}: ${error.operation} failed with ${error.status} ${error.code}: ${error.message}`,
        'DESTINATION_FAILED',
        error,
      )
  }
}
