/** Run ids sort by time: `20261122T195200Z-1a2b3c`. */

/** A new run id for a run starting at `now`. */
export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const random = Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, '0'))
  return `${stamp}-${random.join('')}`
}

/** What {@link newRunId} makes: the start time to the second in UTC, then 6 random hex digits. */
export const RUN_ID_PATTERN = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/

/** The `{date}` a run filled in its paths: the UTC day it started, which its id begins with. */
export function runDate(runId: string): string {
  return `${runId.slice(0, 4)}-${runId.slice(4, 6)}-${runId.slice(6, 8)}`
}
