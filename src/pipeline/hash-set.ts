/**
 * A set of 64-bit hashes in one flat typed array, for counting duplicates over millions of
 * values without keeping the values: 8 bytes a slot, at most half full, so 16 to 32 bytes per
 * distinct value (a JS `Set` of strings or bigints costs several times that). The price of not
 * keeping values is that two different values with the same 64-bit hash count as a duplicate:
 * about n^2 / 2^65, one in 3,700 for 100 million distinct values.
 */

/** Hashes text (by UTF-16 code unit) or bytes to 64 bits, as two 32-bit halves: `[high, low]`. */
export function hash64(input: string | Uint8Array): [number, number] {
  // cyrb53's two multiply-xorshift lanes (public domain, bryc), both kept whole.
  let h1 = 0xdeadbeef ^ input.length
  let h2 = 0x41c6ce57 ^ input.length
  for (let i = 0; i < input.length; i++) {
    const c = typeof input === 'string' ? input.charCodeAt(i) : input[i]
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return [h2 >>> 0, h1 >>> 0]
}

/** An open-addressing set of 64-bit hashes. */
export class HashSet64 {
  /** Pairs of (high, low); (0, 0) marks an empty slot. */
  private table = new Uint32Array(2 * 1024)
  private count = 0

  /** Number of distinct hashes held. */
  get size(): number {
    return this.count
  }

  /** Adds a hash; false when it was already there. */
  add(high: number, low: number): boolean {
    // The empty marker cannot be a key: fold it onto a neighbour.
    if (high === 0 && low === 0) low = 1
    if ((this.count + 1) * 2 > this.table.length / 2) this.grow()
    const slots = this.table.length / 2
    for (let slot = low & (slots - 1);; slot = (slot + 1) & (slots - 1)) {
      const h = this.table[2 * slot]
      const l = this.table[2 * slot + 1]
      if (h === 0 && l === 0) {
        this.table[2 * slot] = high
        this.table[2 * slot + 1] = low
        this.count++
        return true
      }
      if (h === high && l === low) return false
    }
  }

  private grow(): void {
    const old = this.table
    this.table = new Uint32Array(old.length * 2)
    this.count = 0
    for (let i = 0; i < old.length; i += 2) {
      if (old[i] !== 0 || old[i + 1] !== 0) this.add(old[i], old[i + 1])
    }
  }
}
