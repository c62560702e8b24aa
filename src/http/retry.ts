/**
 * Retrying a request with exponential backoff and full jitter. Only failures the caller marks
 * retryable (5xx, throttling, network) are retried; the last failure is rethrown.
 */
import { count } from '../log/counters.ts'

/** How many times and how patiently to retry. */
export interface RetryPolicy {
  attempts: number
  baseMs: number
  maxMs: number
  /**
   * The share of each backoff waited for sure (0: full jitter, the default; 0.5: "equal jitter"),
   * so that the waits add up to at least a known time.
   */
  floor?: number
}

/**
 * Defaults: 5 attempts, 200 ms doubling up to 10 s, with full jitter: 0 to 3 s of waiting in all.
 * For answers that decide at once whether to go on: a store checked before a run, an endpoint
 * probed for credentials.
 */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 200, maxMs: 10_000 }

/**
 * Requests of a run under way, whose failure would lose the run's work: 8 attempts, 250 ms
 * doubling up to 8 s, each wait at least half its backoff, so the waits add up to 11.9-23.8 s and
 * a store that is down (restarting, failing over) for up to ~12 s is ridden out.
 */
export const STORE_RETRY: RetryPolicy = { attempts: 8, baseMs: 250, maxMs: 8_000, floor: 0.5 }

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
      count('retries')
      const cap = Math.min(policy.maxMs, policy.baseMs * 2 ** (n - 1))
      const floor = policy.floor ?? 0
      await new Promise((resolve) => setTimeout(resolve, cap * (floor + Math.random() * (1 - floor))))
    }
  }
}
