/**
 * Hive partitioning below the CLI: directory names of every supported type and granularity,
 * Hive's escaping, the config and plan errors, and the partitioned writer on a real local
 * directory with more partitions than it may keep open, read back by DuckDB.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/load.ts'
import type { ExportConfig } from '../../src/config/schema.ts'
import { LocalDestination } from '../../src/destinations/local.ts'
import { RivetError } from '../../src/errors.ts'
import { csvFormat } from '../../src/formats/csv.ts'
import { parquetFormat } from '../../src/formats/parquet.ts'
import {
  escapeHive,
  HIVE_NULL,
  MAX_OPEN_PARTITIONS,
  PartitionedWriter,
  partitionSpec,
} from '../../src/pipeline/partitions.ts'
import { type Column, parseTypeName } from '../../src/types/output.ts'
import { parseDate, parseTimestamp } from '../../src/types/temporal.ts'
import type { ColumnBatch, Value } from '../../src/types/values.ts'
import { listFiles, tempDir } from '../helpers/files.ts'
import { duck } from '../helpers/parquet.ts'

/** The first export of a config whose export block has `lines` added. */
function exportWith(lines: string, destination = '{ type: local, path: out }'): ExportConfig {
  const text = `source: { type: sqlite, path: db.sqlite }\ndestination: ${destination}\n` +
    `exports:\n  - name: e\n    table: t\n${lines}`
  return parseConfig(text, 'r.yaml', () => undefined).config.exports[0]
}

function column(name: string, type: string, nullable = true): Column {
  return { name, sourceType: type, type: parseTypeName(type, 'test'), nullable }
}

function configError(run: () => unknown): RivetError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(RivetError)
    expect((error as RivetError).exit).toBe(2)
    return error as RivetError
  }
  throw new Error('expected a config error')
}

/** The directory `partition_by: c` gives `value` of a column of `type`. */
function directory(type: string, value: Value, granularity?: string): string {
  const exp = exportWith(
    `    partition_by: c\n${granularity ? `    partition_granularity: ${granularity}\n` : ''}`,
  )
  return partitionSpec(exp, [column('id', 'int64'), column('c', type)])!.directory(value)
}

describe('partition directories', () => {
  test('dates and timestamps by day, month and year; timestamptz by its UTC date', () => {
    const day = parseDate('2026-11-22')
    expect(directory('date', day)).toBe('c=2026-11-22')
    expect(directory('date', day, 'month')).toBe('c=2026-11')
    expect(directory('date', day, 'year')).toBe('c=2026')
    // 23:30 at -05:00 is the next day in UTC.
    const late = parseTimestamp('2026-11-22T23:30:00-05:00')
    expect(directory('timestamptz', late)).toBe('c=2026-11-23')
    expect(directory('timestamp', parseTimestamp('2026-11-22 23:59:59.999999'))).toBe('c=2026-11-22')
    expect(directory('timestamp', parseTimestamp('2026-12-31 12:00:00'), 'year')).toBe('c=2026')
    // Before the epoch the day still floors: one microsecond before 1970 is 1969-12-31.
    expect(directory('timestamp', -1n)).toBe('c=1969-12-31')
    expect(directory('timestamp', -1n, 'month')).toBe('c=1969-12')
    // Years past 9999 keep their expanded form whole.
    expect(directory('date', parseDate('12026-03-04'), 'month')).toBe('c=+012026-03')
  })

  test('NULL and the empty string go to __HIVE_DEFAULT_PARTITION__', () => {
    expect(HIVE_NULL).toBe('__HIVE_DEFAULT_PARTITION__')
    expect(directory('date', null)).toBe('c=__HIVE_DEFAULT_PARTITION__')
    expect(directory('string', null)).toBe('c=__HIVE_DEFAULT_PARTITION__')
    expect(directory('string', '')).toBe('c=__HIVE_DEFAULT_PARTITION__')
  })

  test('other types by their exact text, escaped as Hive escapes path names', () => {
    expect(directory('int64', -42n)).toBe('c=-42')
    expect(directory('decimal(10,2)', 12345n)).toBe('c=123.45')
    expect(directory('bool', true)).toBe('c=true')
    expect(directory('uuid', new Uint8Array(16).fill(0xab))).toBe('c=abababab-abab-abab-abab-abababababab')
    expect(directory('string', 'a/b=c%d')).toBe('c=a%2Fb%3Dc%25d')
    expect(directory('time', 45_296_000_001n)).toBe('c=12%3A34%3A56.000001')
    expect(escapeHive('tab\there\nnew\x7f #?*"\'\\{[]^ok é')).toBe(
      'tab%09here%0Anew%7F %23%3F%2A%22%27%5C%7B%5B%5D%5Eok é',
    )
  })

  test('a bad partition_by is a config error before any data moves', () => {
    const columns = [column('id', 'int64'), column('created_at', 'timestamptz'), column('blob', 'bytes')]
    const typo = configError(() => partitionSpec(exportWith('    partition_by: craeted_at\n'), columns))
    expect(typo.message).toBe(
      'exports.e.partition_by: "craeted_at" is not a column of the result; did you mean "created_at"?',
    )
    const grain = configError(() =>
      partitionSpec(exportWith('    partition_by: id\n    partition_granularity: month\n'), columns)
    )
    expect(grain.message).toBe(
      'exports.e.partition_granularity: column "id" is int, not a date or timestamp; ' +
        'remove partition_granularity to partition by its value',
    )
    const bytes = configError(() => partitionSpec(exportWith('    partition_by: blob\n'), columns))
    expect(bytes.message).toBe(
      'exports.e.partition_by: column "blob" is bytes, which cannot name a directory',
    )
    expect(partitionSpec(exportWith(''), columns)).toBeUndefined()
  })

  test('the config refuses a granularity without partition_by, and partitions to stdout', () => {
    const alone = configError(() => exportWith('    partition_granularity: day\n'))
    expect(alone.message).toContain('partition_granularity: needs partition_by')
    const stdout = configError(() => exportWith('    partition_by: id\n', '{ type: stdout }'))
    expect(stdout.message).toContain('stdout is one stream and has no directories')
    const grain = configError(() => exportWith('    partition_by: id\n    partition_granularity: week\n'))
    expect(grain.message).toContain('expected one of "day", "month", "year"')
  })
})

describe('partitioned writer', () => {
  const columns = [column('k', 'string'), column('id', 'int64', false)]
  const partitions = MAX_OPEN_PARTITIONS * 2 + 3

  /** Batches whose rows cycle through every partition, so each batch touches all of them. */
  function batches(count: number, rows: number): ColumnBatch[] {
    return Array.from({ length: count }, (_, b) => {
      const ids = Array.from({ length: rows }, (_, i) => BigInt(b * rows + i))
      return {
        length: rows,
        columns: [ids.map((id) => id % 7n === 0n ? null : `p${id % BigInt(partitions)}`), ids],
        bytes: rows * 16,
      }
    })
  }

  function writer(dir: string, format = parquetFormat('zstd', { rows: 1000 }), maxBytes?: number) {
    const spec = partitionSpec(exportWith('    partition_by: k\n'), columns)!
    return new PartitionedWriter(
      new LocalDestination(dir),
      format,
      columns,
      spec,
      (index, ext) => `e-run-${String(index).padStart(5, '0')}.${ext}`,
      maxBytes,
    )
  }

  test('more partitions than open writers: unique part numbers, every row once, DuckDB reads it back', async () => {
    const dir = tempDir()
    const sink = writer(dir)
    for (const batch of batches(3, 2000)) await sink.write(batch)
    const parts = await sink.finish()

    // Each batch reopens the partitions the previous one had to finish: more parts than partitions.
    expect(parts.length).toBeGreaterThan(partitions + 1)
    const numbers = parts.map((p) => Number(/-(\d{5})\.parquet$/.exec(p.path)![1]))
    expect(numbers).toEqual(numbers.map((_, i) => i))
    expect(listFiles(dir)).toEqual(parts.map((p) => p.path).sort())
    for (const part of parts) {
      expect(part.path).toMatch(/^k=(p\d+|__HIVE_DEFAULT_PARTITION__)\/e-run-\d{5}\.parquet$/)
    }
    expect(parts.reduce((n, p) => n + p.rows, 0)).toBe(6000)
    expect(sink.totals.rows).toBe(6000)
    expect(sink.totals.bytes).toBe(parts.reduce((n, p) => n + p.bytes, 0))

    const counts = await duck(
      `select k, count(*)::int n, count(distinct id)::int ids, min(id)::int lo
         from read_parquet('${dir}/**/*.parquet', hive_partitioning = true) group by k order by lo`,
    )
    const expected = new Map<string | null, number>()
    for (let id = 0; id < 6000; id++) {
      const k = id % 7 === 0 ? null : `p${id % partitions}`
      expected.set(k, (expected.get(k) ?? 0) + 1)
    }
    expect(counts.length).toBe(expected.size)
    for (const row of counts) {
      expect(row.n).toBe(expected.get(row.k as string | null)!)
      expect(row.ids).toBe(row.n)
    }
    for (const part of parts) {
      const [{ n }] = await duck(`select count(*)::int n from read_parquet('${join(dir, part.path)}')`)
      expect(n).toBe(part.rows)
    }
  })

  test('max_file_size rolls within a partition; numbers stay unique across partitions', async () => {
    const dir = tempDir()
    const sink = writer(dir, csvFormat('none'), 2000)
    // Three partitions, all open at once: each batch brings ~3.3 KB to each, past max_file_size.
    for (let b = 0; b < 4; b++) {
      const ids = Array.from({ length: 1000 }, (_, i) => BigInt(b * 1000 + i))
      await sink.write({ length: 1000, columns: [ids.map((id) => `p${id % 3n}`), ids], bytes: 16000 })
    }
    const parts = await sink.finish()
    const numbers = parts.map((p) => Number(/-(\d{5})\.csv$/.exec(p.path)![1]))
    expect(numbers).toEqual(numbers.map((_, i) => i))
    const perPartition = new Map<string, number>()
    for (const part of parts) {
      const directory = part.path.slice(0, part.path.indexOf('/'))
      perPartition.set(directory, (perPartition.get(directory) ?? 0) + 1)
    }
    expect([...perPartition].sort()).toEqual([['k=p0', 4], ['k=p1', 4], ['k=p2', 4]])
    let rows = 0
    for (const part of parts) {
      const text = readFileSync(join(dir, part.path), 'utf8')
      expect(text.startsWith('k,id\r\n')).toBe(true)
      expect(text.split('\r\n').length - 2).toBe(part.rows)
      rows += part.rows
    }
    expect(rows).toBe(4000)
  })

  test('abort removes the parts of every partition, finished early or still open', async () => {
    const dir = tempDir()
    const sink = writer(dir)
    for (const batch of batches(2, 500)) await sink.write(batch)
    expect(listFiles(dir).filter((f) => f.endsWith('.parquet')).length).toBeGreaterThan(0)
    await sink.abort(new Error('test'))
    expect(listFiles(dir).filter((f) => !f.startsWith('.'))).toEqual([])
    expect(existsSync(dir)).toBe(true)
  })

  test('a run with no rows has no partition and writes no file', async () => {
    const dir = tempDir()
    const sink = writer(dir)
    expect(await sink.finish()).toEqual([])
    expect(listFiles(dir)).toEqual([])
  })
})
