/**
 * Retrying a request with exponential backoff and full jitter. Only failures the caller marks
 * retryable (5xx, throttling, network) are retried; the last failure is rethrown.
 */

/** How many times and how patiently to retry. */
export interface RetryPolicy {
  attempts: number
  baseMs: number
  maxMs: number
}

/** Defaults: 5 attempts, 200 ms doubling up to 10 s, with full jitter. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 200, maxMs: 10_000 }

/** Runs `attempt` until it succeeds, fails with a non-retryable error, or attempts run out. */
export async function withRetry<T>(
  attempt: (n: number) => Promise<T>,
  retryable: (error: unknown) => boolean,
  policy: RetryPolicy = DEFAULT_RETRY,
  signal?: AbortSignal,
): Promise<T> {
  for (let n = 1;; n++) {
    try {
      return await attempt(n)
    } catch (error) {
      if (n >= policy.attempts || !retryable(error) || signal?.aborted) throw error
      const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** (n - 1))
      await new Promise((resolve) => setTimeout(resolve, Math.random() * cap))
    }
  }
}
