/**
 * The one credential cache every cloud provider goes through. A credential without an expiry is
 * kept forever. One with an expiry is handed out while fresh; inside the refresh window a single
 * background refresh starts while callers keep the still-valid value; once it is (nearly)
 * expired, callers wait on one shared refresh. A failed background refresh is logged and tried
 * again on the next call, never thrown into an unrelated request.
 */
import { count } from '../log/counters.ts'
import type { Logger } from '../log/logger.ts'
import { type CredentialProvider, timeLeft } from './credentials.ts'

/** Anything with an optional expiry. */
export interface Expiring {
  expiresAt?: Date
}

/** Cache timing and the hooks tests and logs need. */
export interface RefreshOptions {
  /**
   * Start refreshing this long before expiry (default 5 minutes, as the AWS SDKs do; half the
   * credential's lifetime when that is shorter).
   */
  refreshBeforeMs?: number
  /**
   * Below this much validity a credential is treated as expired (default 10 seconds; a quarter
   * of the credential's lifetime when that is shorter).
   */
  minValidityMs?: number
  /** The clock; tests drive it. */
  now?: () => number
  /** Told about a failed background refresh (the value in use is still valid). */
  onBackgroundError?: (error: unknown) => void
  /** The source's identity when the provider is shared (see shared.ts). */
  key?: string
}

/** A {@link CredentialProvider} that caches and refreshes what `fetch` returns. */
export class RefreshingCredentials<T extends Expiring> implements CredentialProvider<T> {
  readonly refreshable = true
  private current: T | undefined
  /** When `current` arrived: with its expiry, how long it was issued for. */
  private fetchedAt = 0
  /** Values fetched so far: every one after the first is a refresh. */
  private fetches = 0
  private inFlight: Promise<T> | undefined
  private readonly refreshBeforeMs: number
  private readonly minValidityMs: number
  private readonly now: () => number
  readonly key: string | undefined

  constructor(
    readonly source: string,
    private readonly fetch: () => Promise<T>,
    private readonly options: RefreshOptions = {},
  ) {
    this.refreshBeforeMs = options.refreshBeforeMs ?? 5 * 60_000
    this.minValidityMs = options.minValidityMs ?? 10_000
    this.now = options.now ?? Date.now
    this.key = options.key
  }

  async get(): Promise<T> {
    const current = this.current
    if (!current) return await this.refresh()
    if (!current.expiresAt) return current
    const expiresAt = current.expiresAt.getTime()
    const left = expiresAt - this.now()
    // A credential issued for less than the window (brokers hand out minutes, tests seconds)
    // would otherwise refresh on every call: scale both margins down to its lifetime.
    const lifetime = expiresAt - this.fetchedAt
    if (left > Math.min(this.refreshBeforeMs, lifetime / 2)) return current
    if (left > Math.min(this.minValidityMs, lifetime / 4)) {
      // Still valid: hand it out and refresh in the background, once.
      this.refresh().catch((error) => this.options.onBackgroundError?.(error))
      return current
    }
    return await this.refresh()
  }

  invalidate(): void {
    this.current = undefined
  }

  /** One shared refresh at a time; its result replaces the cached value. */
  private refresh(): Promise<T> {
    this.inFlight ??= this.fetch().then((value) => {
      if (this.fetches++ > 0) count('credentialRefreshes')
      this.current = value
      this.fetchedAt = this.now()
      return value
    }).finally(() => {
      this.inFlight = undefined
    })
    return this.inFlight
  }
}

/**
 * `fetch` behind the cache, with each fetch logged at debug level (what `describe` says about
 * the new value, never a secret, and its expiry) and every failed background refresh as a
 * warning, so a long run shows what happened without showing a secret. `key` is the source's
 * identity when the provider is shared.
 */
export function loggedRefreshing<T extends Expiring>(
  source: string,
  fetch: () => Promise<T>,
  describe: (value: T) => string,
  logger?: Logger,
  key?: string,
): RefreshingCredentials<T> {
  return new RefreshingCredentials(source, async () => {
    const value = await fetch()
    logger?.debug(`credentials from ${source}: ${describe(value)}`, {
      expires_at: value.expiresAt?.toISOString(),
      expires_in: value.expiresAt ? timeLeft(value.expiresAt) : undefined,
    })
    return value
  }, {
    onBackgroundError: (error) =>
      logger?.warn(
        `credentials from ${source}: refresh failed, still using the current ones: ${
          (error as Error).message
        }`,
      ),
    key,
  })
}
