/**
 * File layout and data checks through the CLI, from real PostgreSQL: hive-partitioned output on
 * local disk and MinIO read back by DuckDB with `hive_partitioning`, `skip_empty`, and quality
 * rules that mark the manifest failed and exit 6 while keeping the parts.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { type Manifest, manifestSchema } from '../../src/pipeline/manifest.ts'
import { errorLines, expectRunError, rivet } from '../helpers/cli.ts'
import { objectStoreConfig } from '../helpers/cloud-export.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { duck } from '../helpers/parquet.ts'
import { PG_URL, pgExec, pgRows } from '../helpers/pg.ts'
import { getObject, listKeys, MINIO, MINIO_ENV, newBucket } from '../helpers/s3.ts'

const ROWS = 3000

beforeAll(async () => {
  // created_at crosses UTC midnights at a -05:00 offset and is NULL every 10th row; label holds
  // characters Hive escapes; email is NULL every 4th row; code repeats.
  await pgExec(`
    drop table if exists rivet_layout;
    create table rivet_layout (
      id bigint primary key, created_at timestamptz, day date, label text, email text, code int
    );
    insert into rivet_layout
      select i,
             case when i % 10 = 0 then null
                  else timestamptz '2026-11-20 18:00:00-05:00' + i * interval '37 minutes' + interval '0.123456 s' end,
             date '2026-10-30' + (i % 70),
             (array['a/b=c%d', 'plain', 'x:y', ''])[1 + i % 4],
             case when i % 4 = 0 then null else 'user' || i || '@example.com' end,
             i % 100
        from generate_series(1, ${ROWS}) i;
  `)
})

function localConfig(dir: string, exports: string): string {
  return writeConfig(
    dir,
    `source: { type: postgres, url: "${PG_URL}" }\ndestination: { type: local, path: ${
      join(dir, 'out')
    } }\nexports:\n${exports}`,
  )
}

function manifestAt(root: string, runId: string): Manifest {
  return manifestSchema.parse(JSON.parse(readFileSync(join(root, '_rivet', 'runs', `${runId}.json`), 'utf8')))
}

/** Checks that `root` holds exactly the manifest's parts and the manifest, with their sizes and sha256. */
function expectPartsMatch(root: string, manifest: Manifest): void {
  expect(listFiles(root)).toEqual(
    [...manifest.parts.map((p) => p.path), `_rivet/runs/${manifest.run_id}.json`].sort(),
  )
  for (const part of manifest.parts) {
    const bytes = readFileSync(join(root, part.path))
    expect(bytes.length).toBe(part.bytes)
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(part.sha256)
  }
}

/** Expected rows per UTC day of created_at, NULL as null, from PostgreSQL itself. */
async function rowsPerUtcDay(): Promise<Record<string, unknown>[]> {
  return await pgRows(
    `select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD') as day, count(*)::int as n
       from rivet_layout group by 1 order by 1 nulls last`,
  )
}

/** Rows per hive partition value as DuckDB reads the tree under `root`. */
async function duckPerPartition(root: string, column: string): Promise<Record<string, unknown>[]> {
  return await duck(
    `select ${column}::varchar as day, count(*)::int as n
       from read_parquet('${root}/**/*.parquet', hive_partitioning = true) group by 1 order by 1 nulls last`,
  )
}

/** Runs an export of rivet_layout with `lines` added, which must fail with exit 2 before writing anything. */
async function expectPlanError(lines: string, message: RegExp): Promise<void> {
  const dir = tempDir()
  const file = localConfig(dir, `  - name: bad\n    table: rivet_layout\n${lines}`)
  expectRunError(await rivet(['run', '-c', file, '--json']), { exit: 2, code: 'CONFIG_INVALID', message })
  expect(listFiles(join(dir, 'out'))).toEqual([])
}

describe('partition_by', () => {
  test('timestamptz by UTC day to local disk: DuckDB reads every partition back, NULL included', async () => {
    const dir = tempDir()
    const file = localConfig(dir, '  - name: events\n    table: rivet_layout\n    partition_by: created_at\n')
    const result = await rivet(['run', '-c', file, '--json'])
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    const doc = JSON.parse(result.stdout)
    const root = join(dir, 'out', 'events')
    const manifest = manifestAt(root, doc.exports[0].run_id)
    expectPartsMatch(root, manifest)

    const expected = await rowsPerUtcDay()
    expect(expected.length).toBeGreaterThan(30)
    const runId = manifest.run_id
    // Rows come ordered by time, so each partition gets one part, numbered in order of appearance.
    expect(manifest.parts.map((p) => dirname(p.path)).sort()).toEqual(
      expected.map((r) => `created_at=${r.day ?? '__HIVE_DEFAULT_PARTITION__'}`).sort(),
    )
    expect(manifest.parts.map((p) => p.path.slice(p.path.indexOf('/') + 1))).toEqual(
      manifest.parts.map((_, i) => `events-${runId}-${String(i).padStart(5, '0')}.parquet`),
    )
    expect(manifest.rows).toBe(ROWS)
    expect(doc.exports[0]).toMatchObject({ rows: ROWS, parts: expected.length })
    expect(await duckPerPartition(root, 'created_at')).toEqual(expected)
    for (const part of manifest.parts) {
      const [{ n }] = await duck(`select count(*)::int n from read_parquet('${join(root, part.path)}')`)
      expect(n).toBe(part.rows)
    }
    // The files keep the exact instants: read without the directory names, every value matches.
    const [exact] = await duck(
      `select count(*)::int n, sum(epoch_us(created_at))::varchar s, count(created_at)::int c
         from read_parquet('${root}/**/*.parquet', hive_partitioning = false)`,
    )
    const [pg] = await pgRows(
      `select sum((extract(epoch from created_at) * 1000000)::bigint)::text s, count(created_at)::int c from rivet_layout`,
    )
    expect(exact).toEqual({ n: ROWS, s: pg.s, c: pg.c })

    const validate = await rivet(['validate', '-c', file, '--json'])
    expect(validate.code).toBe(0)
    expect(JSON.parse(validate.stdout).exports[0]).toMatchObject({
      status: 'succeeded',
      parts: expected.length,
      parts_checked: expected.length,
      rows_counted: expected.length,
      problems: [],
    })
  })

  test('a date by month, and text values escaped the way Hive and DuckDB read them', async () => {
    const dir = tempDir()
    const file = localConfig(
      dir,
      '  - name: monthly\n    table: rivet_layout\n    partition_by: day\n    partition_granularity: month\n' +
        '  - name: labels\n    table: rivet_layout\n    partition_by: label\n    format: parquet\n',
    )
    const result = await rivet(['run', '-c', file, '--json'])
    expect(result.code).toBe(0)
    const months = await duck(
      `select day::varchar as month, count(*)::int n
         from read_parquet('${
        join(dir, 'out', 'monthly')
      }/**/*.parquet', hive_partitioning = true) group by 1 order by 1`,
    )
    const pgMonths = await pgRows(
      `select to_char(day, 'YYYY-MM') as month, count(*)::int n from rivet_layout group by 1 order by 1`,
    )
    expect(months).toEqual(pgMonths)
    expect(pgMonths.map((m) => m.month)).toEqual(['2026-10', '2026-11', '2026-12', '2027-01'])
    expect(listFiles(join(dir, 'out', 'monthly')).filter((f) => f.endsWith('.parquet')).map(dirname)).toEqual(
      ['day=2026-10', 'day=2026-11', 'day=2026-12', 'day=2027-01'],
    )

    const labelRoot = join(dir, 'out', 'labels')
    expect(listFiles(labelRoot).filter((f) => f.endsWith('.parquet')).map(dirname).sort()).toEqual(
      ['label=__HIVE_DEFAULT_PARTITION__', 'label=a%2Fb%3Dc%25d', 'label=plain', 'label=x%3Ay'],
    )
    const labels = await duck(
      `select label, count(*)::int n from read_parquet('${labelRoot}/**/*.parquet', hive_partitioning = true)
         group by 1 order by 1 nulls last`,
    )
    // Like Hive and Spark, the empty string shares the default partition with NULL.
    expect(labels).toEqual([
      { label: 'a/b=c%d', n: ROWS / 4 },
      { label: 'plain', n: ROWS / 4 },
      { label: 'x:y', n: ROWS / 4 },
      { label: null, n: ROWS / 4 },
    ])
    const validate = await rivet(['validate', '-c', file])
    expect(validate.code).toBe(0)
  })

  test('to MinIO: keys carry the partition directories; DuckDB reads the downloaded tree back', async () => {
    const bucket = await newBucket()
    const dir = tempDir()
    const file = objectStoreConfig(
      dir,
      `  type: s3\n  bucket: ${bucket}\n  prefix: lake/\n  endpoint: ${MINIO.endpoint}\n` +
        '  access_key_env: RIVET_S3_KEY\n  secret_key_env: RIVET_S3_SECRET\n',
      '  - name: events\n    table: rivet_layout\n    partition_by: created_at\n',
    )
    const result = await rivet(['run', '-c', file, '--json'], { env: MINIO_ENV })
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    const runId = JSON.parse(result.stdout).exports[0].run_id
    const keys = await listKeys(bucket)
    const manifestKey = `lake/events/_rivet/runs/${runId}.json`
    const manifest = manifestSchema.parse(
      JSON.parse(new TextDecoder().decode(await getObject(bucket, manifestKey))),
    )
    expect(keys).toEqual([manifestKey, ...manifest.parts.map((p) => `lake/events/${p.path}`)].sort())
    const local = join(dir, 'download')
    for (const part of manifest.parts) {
      const bytes = await getObject(bucket, `lake/events/${part.path}`)
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(part.sha256)
      mkdirSync(dirname(join(local, part.path)), { recursive: true })
      writeFileSync(join(local, part.path), bytes)
    }
    expect(await duckPerPartition(local, 'created_at')).toEqual(await rowsPerUtcDay())
    const validate = await rivet(['validate', '-c', file], { env: MINIO_ENV })
    expect(validate.code).toBe(0)
  })

  test('under Deno: the same directories, and a failing rule exits 6', async () => {
    const dir = tempDir()
    const file = localConfig(
      dir,
      '  - name: yearly\n    table: rivet_layout\n    partition_by: created_at\n    partition_granularity: year\n' +
        '    quality: { unique_columns: [label] }\n',
    )
    const result = await rivet(['run', '-c', file], { runtime: 'deno' })
    expect(result.code).toBe(6)
    expect(errorLines(result.stderr)[0].msg).toStartWith(
      `export yearly: quality rule unique_columns: column label has ${ROWS - 4} duplicate value(s); run `,
    )
    const root = join(dir, 'out', 'yearly')
    expect(await duckPerPartition(root, 'created_at')).toEqual(
      await pgRows(
        `select to_char(created_at at time zone 'UTC', 'YYYY') as day, count(*)::int as n
           from rivet_layout group by 1 order by 1 nulls last`,
      ),
    )
  })

  test('a granularity on a text column, or an unknown column, fails the plan with exit 2', async () => {
    await expectPlanError(
      '    partition_by: label\n    partition_granularity: year\n',
      /^exports\.bad\.partition_granularity: column "label" is string, not a date or timestamp/,
    )
    await expectPlanError(
      '    partition_by: creatd_at\n',
      /"creatd_at" is not a column of the result; did you mean "created_at"\?$/,
    )
  })
})

describe('skip_empty', () => {
  test('zero rows: no data file, a manifest with no parts that validates; without it, one empty file', async () => {
    const dir = tempDir()
    const file = localConfig(
      dir,
      '  - name: skipped\n    query: select * from rivet_layout where false\n    skip_empty: true\n' +
        '  - name: kept\n    query: select * from rivet_layout where false\n' +
        '  - name: some\n    query: select * from rivet_layout where id <= 5\n    skip_empty: true\n',
    )
    const result = await rivet(['run', '-c', file, '--json'])
    expect(result.code).toBe(0)
    const [skipped, kept, some] = JSON.parse(result.stdout).exports
    expect(skipped).toMatchObject({ rows: 0, parts: 0, bytes: 0 })
    const skippedRoot = join(dir, 'out', 'skipped')
    expect(listFiles(skippedRoot)).toEqual([`_rivet/runs/${skipped.run_id}.json`])
    expect(manifestAt(skippedRoot, skipped.run_id)).toMatchObject({ status: 'succeeded', rows: 0, parts: [] })

    expect(kept).toMatchObject({ rows: 0, parts: 1 })
    const keptPart = manifestAt(join(dir, 'out', 'kept'), kept.run_id).parts[0]
    const [{ n }] = await duck(
      `select count(*)::int n from read_parquet('${join(dir, 'out', 'kept', keptPart.path)}')`,
    )
    expect(n).toBe(0)
    expect(some).toMatchObject({ rows: 5, parts: 1 })

    const validate = await rivet(['validate', '-c', file, '-e', 'skipped', '--json'])
    expect(validate.code).toBe(0)
    expect(JSON.parse(validate.stdout).exports[0]).toMatchObject({
      run_id: skipped.run_id,
      parts: 0,
      rows: 0,
    })
  })
})

describe('quality', () => {
  test('rules that hold: the run succeeds', async () => {
    const dir = tempDir()
    const file = localConfig(
      dir,
      `  - name: good\n    table: rivet_layout\n    quality: { row_count_min: ${ROWS}, row_count_max: ${ROWS}, ` +
        'null_ratio_max: { email: 0.25, created_at: 0.1 }, unique_columns: [id, email] }\n',
    )
    const result = await rivet(['run', '-c', file, '--json'])
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)
    const runId = JSON.parse(result.stdout).exports[0].run_id
    const manifest = manifestAt(join(dir, 'out', 'good'), runId)
    expect(manifest.status).toBe('succeeded')
    expect(manifest.failures).toBeUndefined()
  })

  test('a failing rule: exit 6 naming rule, column and value; manifest failed with the failures; parts kept', async () => {
    const dir = tempDir()
    const file = localConfig(
      dir,
      '  - name: checked\n    table: rivet_layout\n    partition_by: created_at\n' +
        '    quality: { null_ratio_max: { email: 0.2 }, unique_columns: [id, code] }\n',
    )
    const result = await rivet(['run', '-c', file, '--json'])
    const doc = expectRunError(result, {
      exit: 6,
      code: 'QUALITY_FAILED',
      message:
        /^export checked: quality rule null_ratio_max: column email is 0\.25 NULL \(750 of 3000 rows\), more than 0\.2 \(and 1 more rule\(s\), listed in the manifest\); run \S+ is marked failed in its manifest/,
    })
    expect(doc.status).toBe('failed')
    const root = join(dir, 'out', 'checked')
    const runId = /run (\S+) is marked failed/.exec(errorLines(result.stderr)[0].msg)![1]
    const manifest = manifestAt(root, runId)
    expect(manifest.status).toBe('failed')
    expect(manifest.rows).toBe(ROWS)
    expect(manifest.failures).toEqual([
      {
        rule: 'null_ratio_max',
        column: 'email',
        measured: 0.25,
        limit: 0.2,
        message: 'null_ratio_max: column email is 0.25 NULL (750 of 3000 rows), more than 0.2',
      },
      {
        rule: 'unique_columns',
        column: 'code',
        measured: ROWS - 100,
        limit: 0,
        message: `unique_columns: column code has ${ROWS - 100} duplicate value(s)`,
      },
    ])
    expectPartsMatch(root, manifest)

    // validate reads the parts (all intact) but will not take a failed run for a committed one.
    const validate = await rivet(['validate', '-c', file, '--json'])
    expect(validate.code).toBe(6)
    const report = JSON.parse(validate.stdout).exports[0]
    expect(report).toMatchObject({ run_id: runId, status: 'failed', parts_checked: manifest.parts.length })
    expect(report.problems).toEqual([{
      part: null,
      message: expect.stringContaining('the manifest is marked failed'),
    }])
  })

  test('an incremental run that fails a rule leaves the cursor where it was', async () => {
    const dir = tempDir()
    const exportLines = (quality: string) =>
      `  - name: inc\n    table: rivet_layout\n    mode: incremental\n    cursor_column: id\n${quality}`
    const failing = localConfig(dir, exportLines('    quality: { row_count_max: 10 }\n'))
    const first = await rivet(['run', '-c', failing, '--json'])
    expect(first.code).toBe(6)
    expect(errorLines(first.stderr)[0].msg).toStartWith(
      `export inc: quality rule row_count_max: ${ROWS} rows, more than 10; run `,
    )
    // The same export without the rule starts from the beginning: the failed run moved nothing.
    const relaxed = localConfig(dir, exportLines(''))
    const second = await rivet(['run', '-c', relaxed, '--json'])
    expect(second.code).toBe(0)
    expect(JSON.parse(second.stdout).exports[0].rows).toBe(ROWS)
    const third = await rivet(['run', '-c', relaxed, '--json'])
    expect(third.code).toBe(0)
    expect(JSON.parse(third.stdout).exports[0].rows).toBe(0)
  })

  test('a rule on an unknown column fails the plan with a "did you mean", writing nothing', async () => {
    await expectPlanError(
      '    quality: { unique_columns: [idd] }\n',
      /^exports\.bad\.quality\.unique_columns: "idd" is not a column of the result; did you mean "id"\?$/,
    )
  })
})
