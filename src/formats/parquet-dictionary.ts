/**
 * Whether a column chunk is worth dictionary encoding, and its dictionary. The rule is
 * hyparquet-writer's: a sample of 1,000 values spread over the chunk rejects columns that are
 * nearly all distinct (ids, timestamps, free text) before anything is built; otherwise the
 * dictionary is kept when it and its bit-packed indexes take at most half of the PLAIN bytes.
 */
import type { ColumnValues, Value } from '../types/values.ts'
import { bitWidth } from './parquet-levels.ts'

/** The distinct values of a chunk and, for each value, its entry's index. */
export interface Dictionary {
  entries: Value[]
  indexes: Int32Array
}

const SAMPLE = 1000
const SAMPLE_REJECT = 0.9
// -0 and 0 are one Map key; the dictionary must keep them apart.
const NEGATIVE_ZERO = Symbol('-0')

function key(value: Value): unknown {
  return value === 0 && 1 / (value as number) < 0 ? NEGATIVE_ZERO : value
}

/**
 * The dictionary of the `n` values in `segments` (non-null, all numbers, bigints or strings), or
 * undefined when PLAIN is smaller. `width` is the PLAIN size of a number or bigint; strings
 * count their length plus the 4-byte length prefix.
 */
export function buildDictionary(
  segments: readonly ColumnValues[],
  n: number,
  width: number,
): Dictionary | undefined {
  const size = (v: Value) => typeof v === 'string' ? v.length + 4 : width
  if (n === 0) return undefined
  const sample = Math.min(n, SAMPLE)
  const seen = new Set<unknown>()
  let distinctBytes = 0
  let sampleBytes = 0
  let segment = 0
  let segmentStart = 0
  for (let i = 0; i < sample; i++) {
    const at = sample === 1 ? 0 : Math.floor(i * (n - 1) / (sample - 1))
    while (at >= segmentStart + segments[segment].length) segmentStart += segments[segment++].length
    const v = segments[segment][at - segmentStart]
    const bytes = size(v)
    sampleBytes += bytes
    const k = key(v)
    if (!seen.has(k)) {
      seen.add(k)
      distinctBytes += bytes
    }
  }
  if (distinctBytes > SAMPLE_REJECT * sampleBytes) return undefined

  let plainBytes = 0
  for (const values of segments) for (let i = 0; i < values.length; i++) plainBytes += size(values[i])
  const positions = new Map<unknown, number>()
  const entries: Value[] = []
  const indexes = new Int32Array(n)
  let entryBytes = 0
  let next = 0
  for (const values of segments) {
    for (let i = 0; i < values.length; i++) {
      const v = values[i]
      const k = key(v)
      let at = positions.get(k)
      if (at === undefined) {
        at = entries.length
        positions.set(k, at)
        entries.push(v)
        entryBytes += size(v)
        // Stop building as soon as the dictionary can no longer win.
        if (2 * (entryBytes + indexBytes(n, entries.length)) > plainBytes) return undefined
      }
      indexes[next++] = at
    }
  }
  return { entries, indexes }
}

/** Bytes of `n` bit-packed indexes into a dictionary of `entries` values. */
function indexBytes(n: number, entries: number): number {
  return Math.ceil(n * bitWidth(entries - 1) / 8)
}
