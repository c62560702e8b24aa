/**
 * src/formats/ascii.ts: every byte writer against textFormatter, the text it must equal: edge
 * values (signs, zero, 2^53 +- 1, int64 and uint64 ends, decimal scales, dates and timestamps
 * outside 1970..9999 and BC) and many random values from a fixed seed.
 */
import { describe, expect, test } from 'bun:test'
import { asciiWriter, ByteSink } from '../../src/formats/ascii.ts'
import { textFormatter } from '../../src/formats/text.ts'
import type { OutputType } from '../../src/types/output.ts'
import { daysFromCivil } from '../../src/types/temporal.ts'
import type { Value } from '../../src/types/values.ts'

/** The bytes each writer gives for `values`, one after another in a small sink that must grow. */
function written(type: OutputType, values: Value[]): string[] {
  const write = asciiWriter(type)!
  const out = new ByteSink(4)
  const ends: number[] = []
  for (const v of values) {
    write(out, v as never)
    ends.push(out.length)
  }
  const text = out.buffer.toString('latin1', 0, out.length)
  return ends.map((end, i) => text.slice(i === 0 ? 0 : ends[i - 1], end))
}

function expectSameText(type: OutputType, values: Value[]): void {
  const text = textFormatter(type)
  expect(written(type, values)).toEqual(values.map((v) => text(v)))
}

// mulberry32: small, fast and the same on every run.
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A random bigint of up to `bits` bits, of either sign when `signed`, spread over magnitudes. */
function bigintOf(next: () => number, bits: number, signed: boolean): bigint {
  const width = 1 + Math.floor(next() * bits)
  let v = 0n
  for (let i = 0; i < width; i += 16) v = (v << 16n) | BigInt(Math.floor(next() * 65536))
  v &= (1n << BigInt(width)) - 1n
  return signed && next() < 0.5 ? -v : v
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER)
const DAY = 86_400_000_000n
const int64: OutputType = { kind: 'int', bits: 64, signed: true }
const decimal = (precision: number, scale: number): OutputType => ({ kind: 'decimal', precision, scale })

describe('edge values match textFormatter', () => {
  test('integers as numbers and bigints', () => {
    expectSameText({ kind: 'int', bits: 32, signed: true }, [
      0,
      -0,
      1,
      -1,
      9,
      10,
      99,
      100,
      -2147483648,
      2147483647,
      4294967295,
    ])
    const around = [-MAX_SAFE - 2n, -MAX_SAFE - 1n, -MAX_SAFE, MAX_SAFE, MAX_SAFE + 1n, MAX_SAFE + 2n]
    expectSameText(int64, [0n, -1n, ...around, -(2n ** 63n), 2n ** 63n - 1n, 10n ** 15n, 10n ** 16n - 1n])
    expectSameText({ kind: 'int', bits: 64, signed: false }, [2n ** 64n - 1n, 2n ** 53n])
    expectSameText(int64, [Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53])
  })

  test('decimals of every scale, below one, negative and past 2^53', () => {
    const values = [
      0n,
      5n,
      -5n,
      99n,
      100n,
      -100n,
      123456789n,
      MAX_SAFE,
      -MAX_SAFE,
      MAX_SAFE + 1n,
      -MAX_SAFE - 1n,
    ]
    for (const scale of [0, 1, 2, 8, 9, 15, 16, 17, 22, 23, 38, 76]) {
      expectSameText(decimal(76, scale), [...values, 10n ** BigInt(scale), -(10n ** BigInt(scale)) + 1n])
    }
    expect(written(decimal(12, 2), [-5n, 5n, 0n, -1250n])).toEqual(['-0.05', '0.05', '0.00', '-12.50'])
    expectSameText(decimal(76, 10), [-(10n ** 76n - 1n), 10n ** 76n - 1n])
  })

  test('floats and booleans', () => {
    expectSameText({ kind: 'float', bits: 64 }, [0, -0, 0.1, -1.5, 1e21, 5e-324, NaN, Infinity, -Infinity])
    expectSameText({ kind: 'bool' }, [true, false])
  })

  test('UUIDs', () => {
    expectSameText({ kind: 'uuid' }, [
      new Uint8Array(16),
      new Uint8Array(16).fill(255),
      Uint8Array.from({ length: 16 }, (_, i) => i * 17),
    ])
  })

  test('dates before 1970, BC and past 9999', () => {
    expectSameText({ kind: 'date' }, [
      0,
      -1,
      19782,
      daysFromCivil(9999, 12, 31),
      daysFromCivil(10000, 1, 1),
      daysFromCivil(0, 1, 1),
      daysFromCivil(-1, 12, 31),
      -2_440_588,
      2_145_042_905,
    ])
  })

  test('times from midnight to 24:00', () => {
    expectSameText({ kind: 'time' }, [0n, 1n, 999_999n, 45_296_789_012n, DAY - 1n, DAY])
  })

  test('timestamps around the epoch, 2^53 micros and the int64 ends', () => {
    for (const utc of [false, true]) {
      expectSameText({ kind: 'timestamp', utc }, [
        0n,
        -1n,
        -DAY,
        -DAY - 1n,
        DAY - 1n,
        1_577_836_801_000_001n,
        -MAX_SAFE - 1n,
        -MAX_SAFE,
        MAX_SAFE,
        MAX_SAFE + 1n,
        -62_167_219_200_000_000n,
        -62_198_755_200_000_000n,
        253_402_300_800_000_000n,
        -(2n ** 63n),
        2n ** 63n - 1n,
      ])
    }
  })
})

describe('random values match textFormatter', () => {
  const next = random(20261123)
  const count = 20_000

  test('integers', () => {
    expectSameText(int64, Array.from({ length: count }, () => bigintOf(next, 64, true)))
    expectSameText(
      { kind: 'int', bits: 32, signed: true },
      Array.from({ length: count }, () => Math.floor((next() - 0.5) * 2 ** (1 + next() * 32))),
    )
  })

  test('decimals', () => {
    for (const scale of [0, 2, 6, 18, 30]) {
      expectSameText(decimal(76, scale), Array.from({ length: count / 5 }, () => bigintOf(next, 100, true)))
    }
  })

  test('floats', () => {
    // Random bit patterns reach every exponent, subnormals and NaNs included.
    const words = Uint32Array.from({ length: count }, () => Math.floor(next() * 2 ** 32))
    const bits = new Float64Array(words.buffer)
    const scaled = Array.from(
      { length: count / 2 },
      () => (next() - 0.5) * 10 ** Math.floor(next() * 40 - 20),
    )
    expectSameText({ kind: 'float', bits: 64 }, [...bits, ...scaled])
  })

  test('floats of whole hundredths (written without a string), up to and past 2^45', () => {
    const cents = Array.from({ length: count }, () => {
      const k = Math.floor((next() - 0.5) * 2 ** (1 + next() * 53))
      return k / 100
    })
    // Around the bound, where neighbouring doubles come closer than 0.01 apart and back.
    const edge = Array.from(
      { length: count / 5 },
      () => (2 ** 45 + (next() - 0.5) * 2 ** 12) * (next() < 0.5 ? -1 : 1),
    )
    const near = edge.map((v) => Math.round(v * 100) / 100)
    // One ulp off a hundredth: no longer k/100, so String() decides.
    const off = cents.slice(0, count / 5).map((v) => v + (v === 0 ? 5e-324 : Math.abs(v) * 2 ** -52))
    const small = [
      0.01,
      -0.01,
      0.1,
      0.05,
      0.5,
      1,
      -1,
      100,
      1.1,
      10.01,
      99.99,
      0.07,
      0.29,
      1.005,
      4.35,
      1e13,
      -2.675,
    ]
    expectSameText({ kind: 'float', bits: 64 }, [...cents, ...edge, ...near, ...off, ...small])
    expectSameText({ kind: 'float', bits: 32 }, [Math.fround(0.1), 0.1, 2.5, -0.3, 16777217, 3.4e38])
  })

  test('dates, times and timestamps, near now and anywhere in int64', () => {
    const dates = Array.from({ length: count }, () => Math.floor((next() - 0.5) * 2 ** (1 + next() * 31)))
    expectSameText({ kind: 'date' }, dates)
    expectSameText(
      { kind: 'time' },
      Array.from({ length: count }, () => BigInt(Math.floor(next() * 86_400e6))),
    )
    const stamps = Array.from({ length: count }, () => bigintOf(next, 64, true))
    // Runs of close values, as consecutive rows often are, exercise the kept minute and day;
    // now and then a jump of up to a few days, forward or back, leaves them.
    let t = -2n * DAY // through the epoch
    for (let i = 0; i < count; i++) {
      const step = next() < 0.05 ? (next() - 0.5) * 5 * 86_400e6 : next() * 20e6
      stamps.push(t += BigInt(Math.floor(step)))
    }
    for (const utc of [false, true]) expectSameText({ kind: 'timestamp', utc }, stamps)
  })

  test('UUIDs', () => {
    const uuids = Array.from(
      { length: count },
      () => Uint8Array.from({ length: 16 }, () => Math.floor(next() * 256)),
    )
    expectSameText({ kind: 'uuid' }, uuids)
  })
})

test('types whose text may need quoting or UTF-8 have no byte writer', () => {
  for (const kind of ['string', 'json', 'interval', 'bytes'] as const) {
    expect(asciiWriter({ kind })).toBeUndefined()
  }
  expect(asciiWriter({ kind: 'list', element: { kind: 'int', bits: 32, signed: true } })).toBeUndefined()
})
