/** Run ids sort by time: `20261122T195200Z-1a2b3c`. */

/** A new run id for a run starting at `now`. */
export function newRunId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
  const random = Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, '0'))
  return `${stamp}-${random.join('')}`
}
