/** Memory: a synchronous garbage collection where the runtime offers one. */

/**
 * Collects garbage now: `Bun.gc(true)` on Bun, `gc()` on Deno/Node when started with
 * `--expose-gc`, else nothing. JavaScriptCore lets its heap double before collecting while the
 * heap is small next to the machine's RAM, so a burst of short-lived objects (a Parquet row
 * group being encoded) shows up as RSS; collecting right after the burst, when little is live,
 * is cheap (~20 ms) and keeps the peak down.
 */
export function collectGarbage(): void {
  const g = globalThis as { Bun?: { gc(force: boolean): void }; gc?: () => void }
  if (g.Bun) g.Bun.gc(true)
  else g.gc?.()
}
