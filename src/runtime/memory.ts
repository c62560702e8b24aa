/** Memory: a synchronous garbage collection where the runtime offers a cheap one. */

// `bun:jsc` fullGC() only marks and sweeps. Bun.gc(true) also hands memory back to the OS, which
// measured 30% more CPU for the same export; Deno (V8) exposes no collection without flags.
const jsc = (globalThis as { Bun?: unknown }).Bun
  ? await import('bun:jsc' as string) as { fullGC(): number }
  : undefined

/**
 * Runs a full collection now (Bun), or nothing. JavaScriptCore lets its heap double before it
 * collects while the heap is small next to the machine's RAM, so streaming millions of rows
 * (a string per value, a Parquet row group's copies) shows up as RSS; collecting every few MB
 * of input keeps the peak near what is live.
 */
export function collectGarbage(): void {
  jsc?.fullGC()
}
