/**
 * Parquet's RLE/bit-packed hybrid encoding, used for definition and repetition levels and for
 * dictionary indexes. A run of at least 8 equal values becomes one RLE run; everything else is
 * bit-packed in groups of 8, so a column without NULLs costs a few bytes of levels per page.
 */
import type { PageBuffer } from './parquet-buffer.ts'

/** Appends `n` as an unsigned LEB128 varint. */
export function writeVarint(out: PageBuffer, n: number): void {
  out.ensure(10)
  const bytes = out.bytes
  let at = out.length
  while (n >= 0x80) {
    bytes[at++] = (n % 0x80) | 0x80
    n = Math.floor(n / 0x80)
  }
  bytes[at++] = n
  out.length = at
}

/** Whether the 8 values from `at` exist and are all equal. */
function repeats8(values: ArrayLike<number>, at: number, end: number): boolean {
  if (at + 8 > end) return false
  const v = values[at]
  for (let i = at + 1; i < at + 8; i++) if (values[i] !== v) return false
  return true
}

/**
 * Appends `values[from..to)` at `width` bits per value (0 to 32) in the hybrid encoding, without
 * the length prefix (data page v2 keeps level lengths in the page header).
 */
export function writeHybrid(
  out: PageBuffer,
  values: ArrayLike<number>,
  from: number,
  to: number,
  width: number,
): void {
  const valueBytes = (width + 7) >> 3
  let i = from
  while (i < to) {
    const v = values[i]
    let run = 1
    while (i + run < to && values[i + run] === v) run++
    if (run >= 8) {
      writeVarint(out, run * 2)
      out.ensure(valueBytes)
      for (let b = 0, x = v; b < valueBytes; b++, x = Math.floor(x / 256)) out.bytes[out.length++] = x % 256
      i += run
      continue
    }
    // Bit-pack whole groups of 8 until a run worth an RLE run starts; only the last group of the
    // page may be padded (readers stop at the page's value count).
    const begin = i
    i += 8
    while (i < to && !repeats8(values, i, to)) i += 8
    const groups = (i - begin) / 8
    writeVarint(out, groups * 2 + 1)
    out.ensure(groups * width)
    const bytes = out.bytes
    let at = out.length
    let acc = 0
    let bits = 0
    for (let k = begin; k < i; k++) {
      acc += (k < to ? values[k] : 0) * 2 ** bits
      bits += width
      while (bits >= 8) {
        bytes[at++] = acc % 256
        acc = Math.floor(acc / 256)
        bits -= 8
      }
    }
    out.length = at
    if (i > to) i = to
  }
}

/** Bits needed for values up to `max` (at least 1, which every reader accepts). */
export function bitWidth(max: number): number {
  return Math.max(1, 32 - Math.clz32(max))
}
