/**
 * rivet's own Parquet column encoder, read back by hyparquet and DuckDB: NULL patterns that
 * exercise both halves of the RLE/bit-packed hybrid, dictionaries (and the values a dictionary
 * could merge by mistake), pages split inside one row group, lists, every codec, and min/max in
 * the byte order the format asks for.
 */
import { describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type ParquetCompression, parquetFormat, type RowGroupTarget } from '../../src/formats/parquet.ts'
import type { Column, OutputType } from '../../src/types/output.ts'
import type { Value } from '../../src/types/values.ts'
import { tempDir } from '../helpers/files.ts'
import { duck, readHyparquetRaw, readWithHyparquet } from '../helpers/parquet.ts'

const dir = tempDir()
let files = 0

/** Encodes the columns' values in batches of `batch` rows; returns the file's path. */
function encode(
  columns: Column[],
  data: Value[][],
  options: { compression?: ParquetCompression; target?: RowGroupTarget; batch?: number } = {},
): string {
  const encoder = parquetFormat(options.compression ?? 'zstd', options.target ?? { rows: 1_000_000 })
    .create(columns)
  const rows = data[0].length
  const step = options.batch ?? 1000
  const chunks: Uint8Array[] = []
  for (let from = 0; from < rows; from += step) {
    const to = Math.min(rows, from + step)
    chunks.push(
      ...encoder.write({ length: to - from, columns: data.map((d) => d.slice(from, to)), bytes: 0 }),
    )
  }
  chunks.push(...encoder.end())
  const path = join(dir, `f${files++}.parquet`)
  writeFileSync(path, Buffer.concat(chunks))
  return path
}

const column = (name: string, type: OutputType, nullable = true): Column => ({
  name,
  sourceType: 'test',
  type,
  nullable,
})

/** A deterministic pseudo-random sequence (LCG), so failures repeat. */
function random(seed: number): () => number {
  let s = seed
  return () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648
}

describe('Parquet column encoder', () => {
  test('NULL patterns: runs, alternation, random, all NULL, none; booleans with NULLs', async () => {
    const n = 5003
    const next = random(7)
    const patterns: Record<string, (i: number) => boolean> = {
      alternating: (i) => i % 2 === 0,
      runs: (i) => Math.floor(i / 13) % 3 === 0,
      random: () => next() < 0.3,
      all: () => true,
      none: () => false,
    }
    const names = Object.keys(patterns)
    const columns = [
      ...names.map((name) => column(`i_${name}`, { kind: 'int', bits: 32, signed: true })),
      column('b', { kind: 'bool' }),
    ]
    const data: Value[][] = names.map((name) =>
      Array.from({ length: n }, (_, i) => patterns[name](i) ? null : i)
    )
    data.push(Array.from({ length: n }, (_, i) => i % 7 === 0 ? null : i % 3 === 0))
    const path = encode(columns, data, { batch: 997 })
    const { rows } = await readWithHyparquet(path)
    expect(rows.length).toBe(n)
    for (let c = 0; c < columns.length; c++) {
      const got = rows.map((r) => r[columns[c].name] ?? null)
      expect(got).toEqual(data[c])
    }
    const [duckSums] = await duck(
      `select count(i_alternating) a, count(i_runs) r, count(i_all) l, count(i_none) z, sum(b::int) b from read_parquet('${path}')`,
    )
    const count = (c: number) => data[c].filter((v) => v !== null).length
    expect(duckSums).toEqual({
      a: String(count(0)),
      r: String(count(1)),
      l: '0',
      z: String(n),
      b: String(data[5].filter((v) => v === true).length),
    })
  })

  test('dictionary: low-cardinality columns are dictionary-encoded and read back exactly', async () => {
    const n = 20_000
    const words = ['alpha', 'beta', 'gamma', 'δέλτα', '😀 emoji', '']
    const columns = [
      column('word', { kind: 'string' }),
      column('code', { kind: 'int', bits: 64, signed: true }),
      column('ratio', { kind: 'float', bits: 64 }),
      column('price', { kind: 'decimal', precision: 30, scale: 2 }),
      column('day', { kind: 'date' }, false),
    ]
    const ratios = [0, -0, 1.5, NaN, -Infinity]
    const data: Value[][] = [
      Array.from({ length: n }, (_, i) => i % 11 === 0 ? null : words[i % words.length]),
      Array.from({ length: n }, (_, i) => BigInt(i % 5) - 2n ** 62n),
      Array.from({ length: n }, (_, i) => ratios[i % ratios.length]),
      Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1n : 1n) * 10n ** 27n + BigInt(i % 4)),
      Array.from({ length: n }, (_, i) => 19000 + (i % 9)),
    ]
    const path = encode(columns, data)
    const meta = await duck(`select path_in_schema p, encodings e from parquet_metadata('${path}')`)
    for (const { p, e } of meta) {
      expect([p, e]).toEqual([p, 'PLAIN, RLE_DICTIONARY' + (p === 'day' ? '' : ', RLE')])
    }
    const { rows } = await readWithHyparquet(path)
    expect(rows.map((r) => r.word ?? null)).toEqual(data[0])
    const raw = await readHyparquetRaw(path)
    expect(raw.map((r) => r.code)).toEqual(data[1])
    // -0 and 0 are one Map key; the dictionary must not merge them.
    const ratiosBack = raw.map((r) => r.ratio as number)
    for (let i = 0; i < n; i++) expect(Object.is(ratiosBack[i], data[2][i])).toBe(true)
    const unscaled: Value[] = raw.map((r) => {
      const b = r.price as Uint8Array
      let v = 0n
      for (const x of b) v = v * 256n + BigInt(x)
      return b[0] >= 0x80 ? v - (1n << BigInt(b.length * 8)) : v
    })
    expect(unscaled).toEqual(data[3])
    expect(raw.map((r) => r.day)).toEqual(data[4])
  })

  test('dictionary of thousands of entries: wide indexes, RLE runs between bit-packed groups', async () => {
    const n = 60_000
    const next = random(11)
    // Stretches of one repeated value (RLE runs, some longer than a bit-packed group) between random ones.
    const data: Value[][] = [[]]
    let current = 0
    for (let i = 0; i < n; i++) {
      if (i % 100 < 60 || i % 100 > 80) current = Math.floor(next() * 3000)
      data[0].push(i % 997 === 0 ? null : `key-${current}`)
    }
    const path = encode([column('k', { kind: 'string' })], data, { batch: 5000 })
    const [{ e }] = await duck(`select encodings e from parquet_metadata('${path}')`)
    expect(e).toBe('PLAIN, RLE_DICTIONARY, RLE')
    const { rows } = await readWithHyparquet(path)
    expect(rows.map((r) => r.k ?? null)).toEqual(data[0])
    const [d] = await duck(`select count(distinct k) d, count(k) c from read_parquet('${path}')`)
    const present = data[0].filter((v) => v !== null)
    expect(d).toEqual({ d: String(new Set(present).size), c: String(present.length) })
  })

  test('pages split at about 1 MiB inside one row group, for PLAIN and for lists', async () => {
    const n = 60_000
    const columns = [
      column('text', { kind: 'string' }, false),
      column('id', { kind: 'int', bits: 64, signed: true }, false),
      column('tags', { kind: 'list', element: { kind: 'string' } }),
    ]
    const data: Value[][] = [
      Array.from({ length: n }, (_, i) => `row ${i} `.padEnd(40 + (i % 17), 'x')),
      Array.from({ length: n }, (_, i) => BigInt(i)),
      Array.from(
        { length: n },
        (_, i) =>
          i % 10 === 0
            ? null
            : i % 10 === 1
            ? []
            : Array.from({ length: i % 5 }, (_, k) => k === 2 ? null : `t${i}-${k}`),
      ),
    ]
    const path = encode(columns, data, { batch: 4096 })
    const [{ g }] = await duck(`select count(distinct row_group_id) g from parquet_metadata('${path}')`)
    expect(g).toBe('1')
    const { metadata, rows } = await readWithHyparquet(path)
    const text = metadata.row_groups[0].columns[0].meta_data!
    // 60,000 values of 44 to 60 bytes (with their length): about 3 MiB, so at least three pages.
    expect(Number(text.total_uncompressed_size)).toBeGreaterThan(5 << 19)
    expect(text.encoding_stats?.[0].count).toBeGreaterThanOrEqual(3)
    // Min and max survive the page buffer being reused by later pages and columns (ASCII: JS order is
    // byte order). The footer keeps 16 bytes: the max is truncated and its last byte raised (x -> y).
    const sorted = (data[0] as string[]).toSorted()
    expect([text.statistics?.min_value, text.statistics?.max_value])
      .toEqual([sorted[0].slice(0, 16), sorted.at(-1)!.slice(0, 15) + 'y'])
    expect(rows.map((r) => r.text)).toEqual(data[0])
    expect(rows.map((r) => r.id)).toEqual(data[1])
    expect(rows.map((r) => r.tags ?? null)).toEqual(data[2])
    const [d] = await duck(
      `select count(*) c, count(tags) t, sum(len(tags)) l, count(*) filter (where len(tags) = 0) e from read_parquet('${path}')`,
    )
    const lists = data[2].filter((v) => v !== null) as Value[][]
    expect(d).toEqual({
      c: String(n),
      t: String(lists.length),
      l: String(lists.reduce((a, l) => a + l.length, 0)),
      e: String(lists.filter((l) => l.length === 0).length),
    })
  })

  for (const compression of ['zstd', 'snappy', 'gzip', 'none'] as const) {
    test(`codec ${compression}: DuckDB reads every row group`, async () => {
      const n = 12_345
      const columns = [
        column('id', { kind: 'int', bits: 32, signed: true }, false),
        column('u', { kind: 'int', bits: 64, signed: false }),
        column('ts', { kind: 'timestamp', utc: true }),
        column('small', { kind: 'decimal', precision: 9, scale: 3 }),
      ]
      const data: Value[][] = [
        Array.from({ length: n }, (_, i) => i),
        Array.from({ length: n }, (_, i) => i % 4 === 0 ? null : 2n ** 64n - 1n - BigInt(i)),
        Array.from({ length: n }, (_, i) => BigInt(i) * 1_000_001n - 10n ** 12n),
        Array.from({ length: n }, (_, i) => BigInt(i * 37 - 200_000)),
      ]
      const path = encode(columns, data, { compression, target: { rows: 1000 } })
      const [d] = await duck(
        `select count(*) c, sum(id) s, max(u)::text mu, min(u)::text nu, count(u) cu, min(ts)::text ma, sum(small)::text ss from read_parquet('${path}')`,
      )
      const us = data[1].filter((v) => v !== null) as bigint[]
      expect(d).toEqual({
        c: String(n),
        s: String((n * (n - 1)) / 2),
        mu: String(us.reduce((a, b) => a > b ? a : b)),
        nu: String(us.reduce((a, b) => a < b ? a : b)),
        cu: String(us.length),
        ma: '1969-12-20 10:13:20+00',
        ss: (data[3] as bigint[]).reduce((a, b) => a + b, 0n).toString().replace(/(\d{3})$/, '.$1'),
      })
      const { metadata } = await readWithHyparquet(path)
      expect(metadata.row_groups.length).toBe(13)
      expect(
        new Set<string | undefined>(
          metadata.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)),
        ),
      )
        .toEqual(
          new Set([{ zstd: 'ZSTD', snappy: 'SNAPPY', gzip: 'GZIP', none: 'UNCOMPRESSED' }[compression]]),
        )
    })
  }

  test('int64 vectors: copied whole across pages, min and max from their words, next to arrays', async () => {
    const n = 300_000
    const next = random(11)
    const edges = [
      -(2n ** 63n),
      2n ** 63n - 1n,
      -1n,
      0n,
      2n ** 32n - 1n,
      2n ** 32n,
      -(2n ** 32n),
      -(2n ** 32n) - 1n,
    ]
    const wide = (i: number) =>
      i < edges.length ? edges[i] : BigInt(Math.floor((next() - 0.5) * 2 ** 52)) * BigInt(1 + (i % 3000))
    const columns = [
      column('i', { kind: 'int', bits: 64, signed: true }),
      column('ts', { kind: 'timestamp', utc: false }),
      column('d12', { kind: 'decimal', precision: 12, scale: 2 }),
      column('d9', { kind: 'decimal', precision: 9, scale: 3 }),
      column('few', { kind: 'int', bits: 64, signed: true }),
      // One high word for all: min and max are decided by the low words, compared unsigned.
      column('low', { kind: 'int', bits: 64, signed: true }),
    ]
    const data: Value[][] = [
      // The extremes come late, in a later page than the first.
      Array.from({ length: n }, (_, i) => wide((i + 5) % n)),
      Array.from({ length: n }, (_, i) => i === 200_001 ? null : BigInt(i) * 1_000_001n - 10n ** 12n),
      Array.from({ length: n }, (_, i) => BigInt(i % 1_000_003) * -7n + 3_000_000n),
      Array.from({ length: n }, (_, i) => BigInt((i * 37) % 999_999_999) - 400_000_000n),
      Array.from({ length: n }, (_, i) => BigInt(i % 5) - 2n),
      Array.from({ length: n }, (_, i) => (BigInt(i) * 2654435761n + 12345n) % 4294967296n),
    ]
    const encoder = parquetFormat('zstd', { rows: n }).create(columns)
    const chunks: Uint8Array[] = []
    const step = 7001
    let vectors = 0
    for (let from = 0; from < n; from += step) {
      const slice = data.map((d) => d.slice(from, Math.min(n, from + step)))
      // As the PostgreSQL reader hands them over: a vector unless the batch holds a NULL.
      const batch = slice.map((values) => {
        if (values.includes(null)) return values
        vectors++
        return BigInt64Array.from(values as bigint[])
      })
      chunks.push(...encoder.write({ length: slice[0].length, columns: batch, bytes: 0 }))
    }
    chunks.push(...encoder.end())
    expect(vectors).toBe(6 * Math.ceil(n / step) - 1)
    const path = join(dir, `f${files++}.parquet`)
    writeFileSync(path, Buffer.concat(chunks))

    const { metadata, rows } = await readWithHyparquet(path)
    expect(metadata.row_groups.length).toBe(1)
    const chunksMeta = metadata.row_groups[0].columns.map((c) => c.meta_data!)
    expect(chunksMeta[0].encoding_stats?.[0].count).toBeGreaterThanOrEqual(3)
    expect(chunksMeta[4].encodings).toContain('RLE_DICTIONARY')
    for (let c = 0; c < columns.length; c++) {
      const present = data[c].filter((v) => v !== null) as bigint[]
      const min = present.reduce((a, b) => a < b ? a : b)
      const max = present.reduce((a, b) => a > b ? a : b)
      const stats = chunksMeta[c].statistics!
      // As hyparquet reads statistics: timestamps as Dates, decimals as numbers.
      const type = columns[c].type
      const read = (v: bigint) =>
        type.kind === 'timestamp'
          ? new Date(Number(v / 1000n))
          : type.kind === 'decimal'
          ? Number(v) / 10 ** type.scale
          : v
      expect([c, stats.min_value, stats.max_value, stats.null_count])
        .toEqual([c, read(min), read(max), BigInt(data[c].length - present.length)])
    }
    expect(rows.map((r) => r.i)).toEqual(data[0])
    expect(rows.map((r) => r.few)).toEqual(data[4])
    const [d] = await duck(
      `select sum(i::hugeint)::text si, count(ts) cts, sum(epoch_us(ts))::text sts, sum(d12)::text s12, sum(d9)::text s9 from read_parquet('${path}')`,
    )
    const total = (c: number) => (data[c].filter((v) => v !== null) as bigint[]).reduce((a, b) => a + b, 0n)
    const decimal = (v: bigint, scale: number) =>
      (v < 0n ? '-' : '') +
      (v < 0n ? -v : v).toString().padStart(scale + 1, '0').replace(new RegExp(`(\\d{${scale}})$`), '.$1')
    expect(d).toEqual({
      si: total(0).toString(),
      cts: String(n - 1),
      sts: total(1).toString(),
      s12: decimal(total(2), 2),
      s9: decimal(total(3), 3),
    })
  })

  test('min and max: UTF-8 byte order for text, -0 and +0 for floats, none beside NaN, NULLs counted', async () => {
    // U+FF5E sorts before U+1F600 in UTF-8 (code point) order but after it in UTF-16 units.
    const texts: Value[] = ['\uff5e', '\u{1f600}', 'a', null, 'Z']
    const floats: Value[] = [0, -0, 0, null, 1]
    // A NaN leaves min and max out (as DuckDB writes): DuckDB orders NaN above every number.
    const nans: Value[] = [1, NaN, -1, null, 2]
    const path = encode([
      column('t', { kind: 'string' }),
      column('f', { kind: 'float', bits: 64 }),
      column('n', { kind: 'float', bits: 32 }),
    ], [texts, floats, nans])
    const { metadata } = await readWithHyparquet(path)
    const [t, f, n] = metadata.row_groups[0].columns.map((c) => c.meta_data!.statistics!)
    expect(t.min_value).toBe('Z')
    expect(t.max_value).toBe('\u{1f600}')
    expect(t.null_count).toBe(1n)
    expect(Object.is(f.min_value, -0)).toBe(true)
    expect(f.max_value).toBe(1)
    expect(f.null_count).toBe(1n)
    expect([n.min_value, n.max_value, n.null_count]).toEqual([undefined, undefined, 1n])
  })

  test('a row target cuts batches: row groups of at most that many rows, closed at batch ends', async () => {
    // An int64 vector: the slices are views of it.
    const ids = BigInt64Array.from({ length: 2500 }, (_, i) => BigInt(i))
    const path = encode([column('id', { kind: 'int', bits: 64, signed: true }, false)], [ids as never], {
      target: { rows: 700 },
      batch: 1000,
    })
    const { metadata, rows } = await readWithHyparquet(path)
    // Batches of 1000: 700 and the cut batch's rest; the last 500 close at the end.
    expect(metadata.row_groups.map((g) => g.num_rows)).toEqual([700n, 300n, 700n, 300n, 500n])
    expect(metadata.row_groups.map((g) => g.columns[0].meta_data!.statistics!.min_value)).toEqual([
      0n,
      700n,
      1000n,
      1700n,
      2000n,
    ])
    expect(rows.map((r) => r.id)).toEqual(Array.from(ids))
  })
})
