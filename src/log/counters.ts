/**
 * Process-wide counts of what happened below the pipeline that a run's metrics report: requests
 * retried and credentials fetched anew. Exports run one after another, so the difference across
 * one export is that export's share.
 */

/** The counts so far. */
export interface Counts {
  /** Requests tried again after a retryable failure (src/http/retry.ts). */
  retries: number
  /** Credentials fetched again after the first time (src/auth/refreshing.ts). */
  credentialRefreshes: number
}

const counts: Counts = { retries: 0, credentialRefreshes: 0 }

/** Adds one to a count. */
export function count(name: keyof Counts): void {
  counts[name]++
}

/** A copy of the counts now: subtract two to get what happened in between. */
export function snapshot(): Counts {
  return { ...counts }
}
