/**
 * A small seeded random generator (mulberry32) for the fuzz tests: the same seed gives the same
 * cases, so a failing case can be replayed from the seed it prints.
 */

/** Numbers in [0, 1), integers, picks and bigints, all from `seed`. */
export function seeded(seed: number) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  /** An integer in [0, n). */
  const int = (n: number) => Math.floor(next() * n)
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]
  /** A uniform bigint in [lo, hi]. */
  const big = (lo: bigint, hi: bigint) => {
    let n = 0n
    for (let i = 0; i < 5; i++) n = (n << 32n) | BigInt(int(2 ** 32))
    return lo + n % (hi - lo + 1n)
  }
  return { next, int, pick, big }
}

/** A generator made by {@link seeded}. */
export type Random = ReturnType<typeof seeded>
