/**
 * BatchBuilder's int64 columns (src/sources/batch.ts): numbers and bigints go into an int64
 * vector, across its growth and from batch to batch; a NULL or a value past int64 turns the
 * column into an array of bigints for the rest of the batch; other columns stay arrays. And the
 * pacing of garbage collections by input.
 */
import { describe, expect, test } from 'bun:test'
import { BatchBuilder, garbagePacer } from '../../src/sources/batch.ts'
import type { DriverValue } from '../../src/types/convert.ts'
import type { Column } from '../../src/types/output.ts'
import { isInt64Vector, type Value } from '../../src/types/values.ts'

const columns: Column[] = [
  { name: 'id', sourceType: 'bigint', nullable: true, type: { kind: 'int', bits: 64, signed: true } },
  { name: 'label', sourceType: 'text', nullable: true, type: { kind: 'string' } },
]
// A decoding driver's converter: numbers and bigints pass through, as MySQL's do.
const passThrough = (v: DriverValue) => v as Value

function builder(): BatchBuilder {
  return new BatchBuilder(columns, [], [passThrough, undefined], [true, false])
}

describe('BatchBuilder int64 columns', () => {
  test('numbers and bigints land in a vector that grows past its first room', () => {
    const b = builder()
    const rows = 3000
    for (let i = 0; i < rows; i++) b.add([i % 2 ? i * 1_000_003 : BigInt(-i) * 10n ** 12n, `r${i}`])
    const batch = b.take()
    expect(batch.length).toBe(rows)
    expect(isInt64Vector(batch.columns[0])).toBe(true)
    expect(Array.isArray(batch.columns[1])).toBe(true)
    expect(batch.columns[0][1]).toBe(1_000_003n)
    expect(batch.columns[0][2998]).toBe(-2998n * 10n ** 12n)
    expect(batch.columns[0][2999]).toBe(2999n * 1_000_003n)
    expect(batch.columns[1][2999]).toBe('r2999')
    // The next batch starts a vector of its own.
    b.add([-(2 ** 53) + 1, 'x'])
    const next = b.take()
    expect(isInt64Vector(next.columns[0])).toBe(true)
    expect(Array.from(next.columns[0] as BigInt64Array)).toEqual([-(2n ** 53n) + 1n])
    expect(batch.columns[0][1]).toBe(1_000_003n)
  })

  test('a NULL or a value past int64 turns the column into bigints, for that batch only', () => {
    const b = builder()
    b.add([5, 'a'])
    b.add([2n ** 62n, 'b'])
    b.add([null, 'c'])
    b.add([7, 'd'])
    expect(b.take().columns[0]).toEqual([5n, 2n ** 62n, null, 7n])
    b.add([1, 'a'])
    b.add([2n ** 63n, 'b'])
    b.add([3, 'c'])
    expect(b.take().columns[0]).toEqual([1n, 2n ** 63n, 3n])
    b.add([9, 'a'])
    expect(isInt64Vector(b.take().columns[0])).toBe(true)
  })
})

describe('garbagePacer', () => {
  const MB = 1024 * 1024

  /** Feeds `total` MB in 1 MB batches; each collection takes `collectMs`, each MB `mbMs`. */
  function collections(total: number, collectMs: number, mbMs: number, atLeastEvery?: number): number[] {
    let clock = 0
    const at: number[] = []
    let fed = 0
    const pace = garbagePacer(atLeastEvery, () => {
      at.push(fed)
      clock += collectMs
    }, () => clock)
    for (fed = 1; fed <= total; fed++) {
      clock += mbMs
      pace(MB)
    }
    return at
  }

  test('collects every 2 MB while collections are cheap', () => {
    expect(collections(12, 1, 100)).toEqual([2, 4, 6, 8, 10, 12])
  })

  test('holds off while collections are slow, but never past 4 MB of input', () => {
    // A 10 ms collection, with 1 ms per MB: the 10% share alone would wait 100 MB.
    expect(collections(12, 10, 1)).toEqual([2, 6, 10])
  })

  test('with a 2 MB floor (row drivers), collects every 2 MB even when collections are slow', () => {
    expect(collections(12, 10, 1, 2 * MB)).toEqual([2, 4, 6, 8, 10, 12])
  })
})
