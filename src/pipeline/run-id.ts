/**
 * Run ids sort by time: `20261122T195200Z-1a2b3c`. The suffix begins with the milliseconds of the
 * start (3 hex digits, 000-3e7), so two runs in the same second still sort in start order; 3
 * random hex digits keep two runs in the same millisecond apart.
 */

/** A new run id for a run starting at `now`. */
export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const millis = now.getUTCMilliseconds().toString(16).padStart(3, '0')
  const random = crypto.getRandomValues(new Uint16Array(1))[0].toString(16).padStart(4, '0').slice(1)
  return `${stamp}-${millis}${random}`
}

/** What {@link newRunId} makes: the start time to the second in UTC, then 6 hex digits. */
export const RUN_ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/

/** The `{date}` a run filled in its paths: the UTC day it started, which its id begins with. */
export function runDate(runId: string): string {
  return `${runId.slice(0, 4)}-${runId.slice(4, 6)}-${runId.slice(6, 8)}`
}
