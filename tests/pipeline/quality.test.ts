/**
 * Quality rules measured over streamed batches: each rule at and past its bound, NULLs in unique
 * columns, values of every kind hashed exactly, unknown columns, and the 64-bit hash set that
 * holds millions of distinct values.
 */
import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config/load.ts'
import type { ExportConfig } from '../../src/config/schema.ts'
import { RivetError } from '../../src/errors.ts'
import { hash64, HashSet64 } from '../../src/pipeline/hash-set.ts'
import { qualityError, QualityObserver, qualityRules } from '../../src/pipeline/quality.ts'
import { type Column, parseTypeName } from '../../src/types/output.ts'
import type { ColumnBatch, Value } from '../../src/types/values.ts'

function exportWith(quality: string): ExportConfig {
  const text = 'source: { type: sqlite, path: db.sqlite }\ndestination: { type: local, path: out }\n' +
    `exports:\n  - name: e\n    table: t\n${quality ? `    quality: ${quality}\n` : ''}`
  return parseConfig(text, 'r.yaml', () => undefined).config.exports[0]
}

const columns: Column[] = [
  { name: 'id', sourceType: 'bigint', type: parseTypeName('int64', 't'), nullable: false },
  { name: 'email', sourceType: 'text', type: parseTypeName('string', 't'), nullable: true },
  { name: 'ref', sourceType: 'uuid', type: parseTypeName('uuid', 't'), nullable: true },
  { name: 'amount', sourceType: 'numeric', type: parseTypeName('decimal(10,2)', 't'), nullable: true },
]

function batch(rows: Value[][]): ColumnBatch {
  return {
    length: rows.length,
    columns: columns.map((_, c) => rows.map((r) => r[c])),
    bytes: rows.length * 32,
  }
}

function uuid(byte: number): Uint8Array {
  return new Uint8Array(16).fill(byte)
}

/** Feeds `rows` in batches of `size` and returns the failures. */
function measure(quality: string, rows: Value[][], size = 3) {
  const observer = new QualityObserver(qualityRules(exportWith(quality), columns)!)
  for (let i = 0; i < rows.length; i += size) observer.observe(batch(rows.slice(i, i + size)))
  return observer.failures()
}

const rows: Value[][] = [
  [1n, 'a@x', uuid(1), 100n],
  [2n, null, uuid(2), 100n],
  [3n, 'c@x', null, null],
  [4n, 'd@x', null, -5n],
  [5n, null, uuid(1), 7n],
]

describe('quality rules', () => {
  test('row counts hold at their bounds and fail one past them', () => {
    expect(measure('{ row_count_min: 5, row_count_max: 5 }', rows)).toEqual([])
    expect(measure('{ row_count_min: 6 }', rows)).toEqual([{
      rule: 'row_count_min',
      column: null,
      measured: 5,
      limit: 6,
      message: 'row_count_min: 5 rows, fewer than 6',
    }])
    expect(measure('{ row_count_max: 4 }', rows)).toEqual([{
      rule: 'row_count_max',
      column: null,
      measured: 5,
      limit: 4,
      message: 'row_count_max: 5 rows, more than 4',
    }])
    expect(measure('{ row_count_min: 1 }', [])[0].message).toBe('row_count_min: 0 rows, fewer than 1')
  })

  test('null_ratio_max counts NULLs across batches; an empty run has ratio 0', () => {
    expect(measure('{ null_ratio_max: { email: 0.4 } }', rows)).toEqual([])
    expect(measure('{ null_ratio_max: { email: 0.39, ref: 0.5 } }', rows)).toEqual([{
      rule: 'null_ratio_max',
      column: 'email',
      measured: 0.4,
      limit: 0.39,
      message: 'null_ratio_max: column email is 0.4 NULL (2 of 5 rows), more than 0.39',
    }])
    expect(measure('{ null_ratio_max: { ref: 0.3333 } }', rows.slice(0, 3), 1)[0].message).toBe(
      'null_ratio_max: column ref is 0.3333 NULL (1 of 3 rows), more than 0.3333',
    )
    expect(measure('{ null_ratio_max: { email: 0 } }', [])).toEqual([])
  })

  test('unique_columns counts repeats of non-NULL values, across batches, per column', () => {
    expect(measure('{ unique_columns: [id] }', rows)).toEqual([])
    const failures = measure('{ unique_columns: [id, ref, amount, email] }', rows, 2)
    expect(failures).toEqual([
      {
        rule: 'unique_columns',
        column: 'ref',
        measured: 1,
        limit: 0,
        message: 'unique_columns: column ref has 1 duplicate value(s)',
      },
      {
        rule: 'unique_columns',
        column: 'amount',
        measured: 1,
        limit: 0,
        message: 'unique_columns: column amount has 1 duplicate value(s)',
      },
    ])
    // Decimals compare by value at their scale: 1.00 and 0.10 differ though their digits look alike.
    expect(measure('{ unique_columns: [amount] }', [[1n, null, null, 100n], [2n, null, null, 10n]])).toEqual(
      [],
    )
  })

  test('every failing rule is listed; the error names the first, its column and value', () => {
    const failures = measure(
      '{ row_count_min: 10, null_ratio_max: { email: 0.1 }, unique_columns: [ref] }',
      rows,
    )
    expect(failures.map((f) => f.rule)).toEqual(['row_count_min', 'null_ratio_max', 'unique_columns'])
    const error = qualityError('e', '20261122T195200Z-1a2b3c', failures.slice(1))
    expect(error).toBeInstanceOf(RivetError)
    expect(error.exit).toBe(6)
    expect(error.code).toBe('QUALITY_FAILED')
    expect(error.message).toBe(
      'export e: quality rule null_ratio_max: column email is 0.4 NULL (2 of 5 rows), more than 0.1 ' +
        '(and 1 more rule(s), listed in the manifest); run 20261122T195200Z-1a2b3c is marked failed in ' +
        'its manifest, its parts are kept for inspection and the state was not advanced',
    )
  })

  test('a rule on a column the result lacks is a config error with a "did you mean"', () => {
    for (
      const [quality, message] of [
        ['{ null_ratio_max: { emial: 0.1 } }', 'exports.e.quality.null_ratio_max: "emial" is not a column'],
        ['{ unique_columns: [idd] }', 'exports.e.quality.unique_columns: "idd" is not a column'],
      ]
    ) {
      try {
        qualityRules(exportWith(quality), columns)
        throw new Error('expected a config error')
      } catch (error) {
        expect((error as RivetError).exit).toBe(2)
        expect((error as RivetError).message).toStartWith(message)
        expect((error as RivetError).message).toEndWith(
          `did you mean "${quality.includes('emial') ? 'email' : 'id'}"?`,
        )
      }
    }
    expect(qualityRules(exportWith(''), columns)).toBeUndefined()
  })

  test('the config refuses a minimum above the maximum and ratios outside 0..1', () => {
    expect(() => exportWith('{ row_count_min: 5, row_count_max: 4 }')).toThrow(
      'row_count_min is larger than row_count_max',
    )
    expect(() => exportWith('{ null_ratio_max: { email: 1.5 } }')).toThrow('quality.null_ratio_max.email')
    expect(() => exportWith('{ unique_colums: [id] }')).toThrow('did you mean "unique_columns"?')
  })
})

describe('64-bit hash set', () => {
  test('a million distinct keys stay distinct through growth; repeats are found', () => {
    const set = new HashSet64()
    let added = 0
    for (let i = 0; i < 1_000_000; i++) {
      const [high, low] = hash64(String(i))
      if (set.add(high, low)) added++
    }
    expect(added).toBe(1_000_000)
    expect(set.size).toBe(1_000_000)
    let repeats = 0
    for (let i = 0; i < 1_000_000; i += 1000) {
      const [high, low] = hash64(String(i))
      if (!set.add(high, low)) repeats++
    }
    expect(repeats).toBe(1000)
    expect(set.size).toBe(1_000_000)
  })

  test('the all-zero hash is a key like any other', () => {
    const set = new HashSet64()
    expect(set.add(0, 0)).toBe(true)
    expect(set.add(0, 0)).toBe(false)
    expect(set.size).toBe(1)
  })

  test('text and bytes hash by content and length', () => {
    expect(hash64('abc')).toEqual(hash64('abc'))
    expect(hash64('abc')).not.toEqual(hash64('abd'))
    expect(hash64(new Uint8Array([0]))).not.toEqual(hash64(new Uint8Array([0, 0])))
  })
})
