/**
 * src/formats/parquet-footer.ts writes the footer row group by row group; its bytes must be the
 * ones hyparquet-writer's writeMetadata writes for the same metadata in one go, for every type's
 * statistics (truncated text, FLBA decimals, NaN counts, timestamps), NULLs, lists, a dictionary,
 * and more than 15 row groups (Thrift's long list header). DuckDB reads the file too.
 */
import { afterEach, describe, expect, spyOn, test } from 'bun:test'
import { writeMetadata } from 'hyparquet-writer/src/metadata.js'
import { ByteWriter } from 'hyparquet-writer'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { parquetFormat, parquetSchema } from '../../src/formats/parquet.ts'
import { type FooterRowGroup, FooterWriter } from '../../src/formats/parquet-footer.ts'
import type { Column, OutputType } from '../../src/types/output.ts'
import type { Value } from '../../src/types/values.ts'
import { VERSION } from '../../src/version.ts'
import { tempDir } from '../helpers/files.ts'
import { duck } from '../helpers/parquet.ts'

const column = (name: string, type: OutputType, nullable = true): Column => ({
  name,
  sourceType: 'test',
  type,
  nullable,
})

const spies: { mockRestore(): void }[] = []
afterEach(() => spies.splice(0).forEach((s) => s.mockRestore()))

describe('Parquet footer', () => {
  test('row group by row group, the same bytes as hyparquet-writer writes at once', async () => {
    const added: FooterRowGroup[] = []
    const add = FooterWriter.prototype.add
    spies.push(
      spyOn(FooterWriter.prototype, 'add').mockImplementation(function (this: FooterWriter, group) {
        added.push(group)
        add.call(this, group)
      }),
    )
    const columns = [
      column('id', { kind: 'int', bits: 64, signed: true }, false),
      column('small', { kind: 'int', bits: 16, signed: true }),
      column('u', { kind: 'int', bits: 64, signed: false }),
      column('d9', { kind: 'decimal', precision: 9, scale: 2 }),
      column('d30', { kind: 'decimal', precision: 30, scale: 4 }),
      column('f', { kind: 'float', bits: 32 }),
      column('x', { kind: 'float', bits: 64 }),
      column('b', { kind: 'bool' }),
      column('s', { kind: 'string' }),
      column('j', { kind: 'json' }),
      column('raw', { kind: 'bytes' }),
      column('uid', { kind: 'uuid' }),
      column('day', { kind: 'date' }),
      column('t', { kind: 'time' }),
      column('ts', { kind: 'timestamp', utc: true }),
      column('local', { kind: 'timestamp', utc: false }),
      column('tags', { kind: 'list', element: { kind: 'string' } }),
      column('color', { kind: 'string' }),
    ]
    const n = 1700
    const data: Value[][] = [
      Array.from({ length: n }, (_, i) => BigInt(i) - 800n),
      Array.from({ length: n }, (_, i) => i % 9 === 0 ? null : (i * 37) % 60000 - 30000),
      Array.from({ length: n }, (_, i) => 2n ** 64n - 1n - BigInt(i)),
      Array.from({ length: n }, (_, i) => BigInt(i * 1001 - 500_000)),
      Array.from({ length: n }, (_, i) => (BigInt(i) - 850n) * 10n ** 25n + 7n),
      Array.from({ length: n }, (_, i) => i === 3 ? NaN : Math.fround(i / 7)),
      Array.from({ length: n }, (_, i) => i % 100 === 0 ? -0 : i % 101 === 0 ? NaN : i * 1.5e-3),
      Array.from({ length: n }, (_, i) => i % 5 === 0 ? null : i % 3 === 0),
      // Longer than the 16 bytes the footer keeps of a min or max, and non-ASCII.
      Array.from({ length: n }, (_, i) => `${'\u00e9'.repeat(i % 13)}value number ${i} of many`),
      Array.from({ length: n }, (_, i) => `{"i": ${i}}`),
      Array.from({ length: n }, (_, i) => new Uint8Array([i & 255, 255 - (i & 255), 7])),
      Array.from({ length: n }, (_, i) => new Uint8Array(16).fill(i & 255)),
      Array.from({ length: n }, (_, i) => i * 3 - 2000),
      Array.from({ length: n }, (_, i) => BigInt(i) * 50_000_000n),
      Array.from({ length: n }, (_, i) => BigInt(i) * 3_600_000_001n - 10n ** 15n),
      Array.from({ length: n }, (_, i) => i % 4 === 0 ? null : BigInt(i) * 1_000_003n),
      Array.from(
        { length: n },
        (_, i) => i % 6 === 0 ? null : Array.from({ length: i % 4 }, (_, k) => `t${k}`),
      ),
      // Few distinct values: a dictionary.
      Array.from({ length: n }, (_, i) => ['red', 'green', 'blue'][i % 3]),
    ]
    const encoder = parquetFormat('zstd', { rows: 100 }).create(columns)
    const chunks: Uint8Array[] = []
    for (let from = 0; from < n; from += 100) {
      const to = Math.min(n, from + 100)
      chunks.push(
        ...encoder.write({ length: to - from, columns: data.map((d) => d.slice(from, to)), bytes: 0 }),
      )
    }
    chunks.push(...encoder.end())
    const file = Buffer.concat(chunks)

    expect(added.length).toBe(17)
    const length = file.readUInt32LE(file.length - 8)
    const footer = file.subarray(file.length - 8 - length, file.length - 4)
    const expected = new ByteWriter()
    writeMetadata(
      expected,
      {
        version: 2,
        created_by: `rivet ${VERSION}`,
        schema: parquetSchema(columns),
        num_rows: BigInt(n),
        row_groups: added.map((g) => ({
          columns: g.columns,
          total_byte_size: g.totalByteSize,
          num_rows: g.numRows,
          total_compressed_size: g.totalCompressedSize,
        })),
        metadata_length: 0,
      } as Parameters<typeof writeMetadata>[1] & { metadata_length?: number },
    )
    expect(Buffer.from(footer).equals(Buffer.from(expected.getBytes()))).toBe(true)
    expect(file.subarray(0, 4).toString()).toBe('PAR1')
    expect(file.subarray(file.length - 4).toString()).toBe('PAR1')

    const path = join(tempDir(), 'footer.parquet')
    writeFileSync(path, file)
    const [d] = await duck(
      `select count(*) c, count(distinct color) k, min(s) s, max(ts)::text ts, sum(d30)::text d from read_parquet('${path}')`,
    )
    expect(d).toEqual({
      c: String(n),
      k: '3',
      s: 'value number 0 of many',
      // 1699 * 3,600,000,001 - 10^15 microseconds.
      ts: '1938-07-04 17:13:20.001699+00',
      d: String((data[4] as bigint[]).reduce((a, b) => a + b, 0n)).replace(/(\d{4})$/, '.$1'),
    })
  })
})
