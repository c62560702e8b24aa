/**
 * Export modes through the CLI against real PostgreSQL and MariaDB: incremental runs that lose
 * and repeat nothing (rows sharing the last cursor value included), chunked runs killed with
 * SIGKILL and resumed, sparse chunk columns, time windows, `-p` in a query file, state on MinIO
 * with two runs racing for one cursor, and `rivet state show/reset`.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { type Manifest, manifestSchema } from '../../src/pipeline/manifest.ts'
import { errorLines, expectRunError, rivet, ROOT } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import { MYSQL_URL, mysqlExec } from '../helpers/mysql.ts'
import { duck } from '../helpers/parquet.ts'
import { PG_URL, pgExec } from '../helpers/pg.ts'
import { getObject, listKeys, MINIO, MINIO_ENV, newBucket } from '../helpers/s3.ts'

/** Every committed manifest under a local export directory, oldest first. */
function manifests(exportDir: string): Manifest[] {
  const runs = join(exportDir, '_rivet', 'runs')
  if (!existsSync(runs)) return []
  return readdirSync(runs).filter((name) => name.endsWith('.json')).sort().map((name) =>
    manifestSchema.parse(JSON.parse(readFileSync(join(runs, name), 'utf8')))
  )
}

/** The rows of every part the committed manifests list, read by DuckDB. */
async function committedRows(exportDir: string, select = 'id'): Promise<Record<string, unknown>[]> {
  const files = manifests(exportDir).flatMap((m) => m.parts.map((p) => `'${join(exportDir, p.path)}'`))
  if (!files.length) return []
  return await duck(`select ${select} from read_parquet([${files.join(', ')}]) order by all`)
}

function ids(rows: Record<string, unknown>[]): number[] {
  return rows.map((r) => Number(r.id))
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i)
}

function config(dir: string, source: string, exports: string, extra = ''): string {
  return writeConfig(
    dir,
    `source: ${source}\ndestination: { type: local, path: ${
      join(dir, 'out')
    } }\n${extra}exports:\n${exports}`,
  )
}

const PG = `{ type: postgres, url: "${PG_URL}" }`
const MYSQL = `{ type: mysql, url: "${MYSQL_URL}" }`

describe('incremental', () => {
  test('PostgreSQL: a second run exports new rows and rows sharing the last cursor value, nothing twice', async () => {
    await pgExec(`
      drop table if exists rivet_inc;
      create table rivet_inc (id int primary key, note text, updated_at timestamptz not null);
      insert into rivet_inc select i, 'r' || i, timestamptz '2026-11-01 00:00:00.000001+00' + (i / 4) * interval '1 minute'
        from generate_series(1, 1000) i;
    `)
    const dir = tempDir()
    const file = config(
      dir,
      PG,
      '  - { name: inc, table: public.rivet_inc, mode: incremental, cursor_column: updated_at }\n',
    )
    const first = await rivet(['run', '-c', file, '--json'])
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout).exports[0].rows).toBe(1000)
    const stateFile = join(dir, '.rivet', 'inc.json')
    expect(statSync(stateFile).mode & 0o777).toBe(0o600)
    const state = JSON.parse(readFileSync(stateFile, 'utf8'))
    // Four ids share each minute (i / 4); id 1000 is alone in the last one.
    expect(state.cursor).toMatchObject({
      column: 'updated_at',
      type: 'timestamptz',
      value: '2026-11-01 04:10:00.000001',
    })
    expect(state.cursor.boundary).toHaveLength(1)

    // Three rows at the last exported cursor value (committed "late"), two newer, one update.
    await pgExec(`
      insert into rivet_inc values
        (1001, 'same', '2026-11-01 04:10:00.000001+00'), (1002, 'same', '2026-11-01 04:10:00.000001+00'),
        (1003, 'same', '2026-11-01 04:10:00.000001+00'), (1004, 'new', '2026-11-02 00:00:00+00'),
        (1005, 'new', '2026-11-02 00:00:00+00');
      update rivet_inc set note = 'updated', updated_at = '2026-11-03 00:00:00+00' where id = 7;
    `)
    // Under Deno this time, reconciled: the source counts 7 rows from the cursor on, one of them
    // exported before.
    const second = await rivet(['run', '-c', file, '--json', '--reconcile'], { runtime: 'deno' })
    expect(second.code).toBe(0)
    expect(JSON.parse(second.stdout).exports[0].rows).toBe(6)
    const third = await rivet(['run', '-c', file, '--json'], { runtime: 'binary' })
    expect(third.code).toBe(0)
    expect(JSON.parse(third.stdout).exports[0].rows).toBe(0)

    const exported = await committedRows(join(dir, 'out', 'inc'), 'id, note')
    // Every row once, and id 7 once more with its update: the union of the runs is the table's history.
    expect(exported.filter((r) => r.id !== 7).map((r) => Number(r.id))).toEqual(
      range(1, 1005).filter((i) => i !== 7),
    )
    expect(exported.filter((r) => r.id === 7).map((r) => r.note).sort()).toEqual(['r7', 'updated'])
    const runs = manifests(join(dir, 'out', 'inc'))
    expect(runs.map((m) => m.cursor)).toEqual([
      { column: 'updated_at', from: null, to: '2026-11-01 04:10:00.000001' },
      { column: 'updated_at', from: '2026-11-01 04:10:00.000001', to: '2026-11-03 00:00:00.000000' },
      { column: 'updated_at', from: '2026-11-03 00:00:00.000000', to: '2026-11-03 00:00:00.000000' },
    ])

    const shown = await rivet(['state', 'show', '-c', file, '--json'])
    expect(shown.code).toBe(0)
    expect(JSON.parse(shown.stdout).exports[0].state.cursor.value).toBe('2026-11-03 00:00:00.000000')
    const reset = await rivet(['state', 'reset', '-c', file, '-e', 'inc'])
    expect(reset.code).toBe(0)
    expect(existsSync(stateFile)).toBe(false)
    const again = await rivet(['run', '-c', file, '--json'])
    expect(JSON.parse(again.stdout).exports[0].rows).toBe(1005)
  })

  test('MariaDB: a bigint cursor past 2^53 and a DATETIME(6) cursor both resume exactly', async () => {
    await mysqlExec(`
      drop table if exists rivet_inc;
      create table rivet_inc (id bigint primary key, at datetime(6) not null);
      insert into rivet_inc values (9007199254740993, '2026-11-01 00:00:00.000001'),
        (9007199254740994, '2026-11-01 00:00:00.000002'), (9007199254740995, '2026-11-01 00:00:00.000002');
    `)
    const dir = tempDir()
    const file = config(
      dir,
      MYSQL,
      '  - { name: by_id, table: rivet_inc, mode: incremental, cursor_column: id }\n' +
        '  - { name: by_at, table: rivet_inc, mode: incremental, cursor_column: at }\n',
    )
    expect((await rivet(['run', '-c', file])).code).toBe(0)
    await mysqlExec(`
      insert into rivet_inc values (9007199254740996, '2026-11-01 00:00:00.000002'), (9007199254740997, '2026-11-05 00:00:00');
    `)
    const second = await rivet(['run', '-c', file, '--json'])
    expect(second.code).toBe(0)
    expect(JSON.parse(second.stdout).exports.map((e: { rows: number }) => e.rows)).toEqual([2, 2])
    for (const name of ['by_id', 'by_at']) {
      const rows = await committedRows(join(dir, 'out', name), 'id::varchar as id')
      expect(rows.map((r) => r.id)).toEqual([
        '9007199254740993',
        '9007199254740994',
        '9007199254740995',
        '9007199254740996',
        '9007199254740997',
      ])
    }
    const state = JSON.parse(readFileSync(join(dir, '.rivet', 'by_id.json'), 'utf8'))
    expect(state.cursor.value).toBe('9007199254740997')
  })

  test('a failed quality rule leaves the cursor where it was', async () => {
    await pgExec(`
      drop table if exists rivet_inc_q;
      create table rivet_inc_q (id int primary key, email text);
      insert into rivet_inc_q select i, 'u' || i from generate_series(1, 10) i;
    `)
    const dir = tempDir()
    const file = config(
      dir,
      PG,
      '  - name: q\n    table: public.rivet_inc_q\n    mode: incremental\n    cursor_column: id\n' +
        '    quality: { null_ratio_max: { email: 0.1 } }\n',
    )
    expect((await rivet(['run', '-c', file])).code).toBe(0)
    const before = readFileSync(join(dir, '.rivet', 'q.json'), 'utf8')
    await pgExec(`insert into rivet_inc_q select i, null from generate_series(11, 20) i`)
    const failed = await rivet(['run', '-c', file, '--json'])
    expect(failed.code).toBe(6)
    expect(JSON.parse(readFileSync(join(dir, '.rivet', 'q.json'), 'utf8')).cursor)
      .toEqual(JSON.parse(before).cursor)
  })
})

/** Starts rivet in the background; resolves with its exit code. */
function start(args: string[]): { pid: number; exited: Promise<number | null> } {
  const child = spawn(process.execPath, [join(ROOT, 'mod.ts'), ...args], {
    cwd: ROOT,
    stdio: 'ignore',
    env: { ...process.env, RIVET_LOG_LEVEL: undefined },
  })
  return { pid: child.pid!, exited: new Promise((resolve) => child.on('close', (code) => resolve(code))) }
}

/** Waits (up to 30 s) until a running chunked export's checkpoint lists `count` committed chunks. */
async function chunksCommitted(stateFile: string, count: number): Promise<void> {
  for (let i = 0; i < 3000; i++) {
    await Bun.sleep(10)
    try {
      if (Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).checkpoint?.done ?? {}).length >= count) {
        return
      }
    } catch {
      // Not written yet, or being replaced.
    }
  }
}

describe('chunked', () => {
  // 1 KB rows: enough work per chunk that a run is still going when the tests below kill it
  // (with 256-byte rows a whole run sometimes ended between two polls of its checkpoint).
  beforeAll(async () => {
    await pgExec(`
      drop table if exists rivet_chunked;
      create table rivet_chunked (id bigint primary key, day date, payload text);
      insert into rivet_chunked
        select i, date '2026-01-01' + (i % 300), repeat(md5(i::text), 32) from generate_series(1, 300000) i;
      insert into rivet_chunked values (1000000000000, null, 'far'), (1000000000001, null, 'far');
    `)
  })

  test('killed with SIGKILL mid-run, --resume exports only the chunks that never committed', async () => {
    const dir = tempDir()
    const file = config(
      dir,
      PG,
      '  - name: big\n    table: public.rivet_chunked\n    mode: chunked\n    chunk_column: id\n' +
        '    chunk_size: 10000\n    parallel: 3\n',
    )
    const stateFile = join(dir, '.rivet', 'big.json')
    const run = start(['run', '-c', file])
    await chunksCommitted(stateFile, 4)
    process.kill(run.pid, 'SIGKILL')
    await run.exited
    const checkpoint = JSON.parse(readFileSync(stateFile, 'utf8')).checkpoint
    const committed = Object.keys(checkpoint.done).length
    expect(committed).toBeGreaterThanOrEqual(4)
    // 30 ranges of ids 1..300000 and two for the far ids (they straddle a range boundary); none
    // for the empty ranges between.
    expect(checkpoint.chunks).toHaveLength(32)
    expect(committed).toBeLessThan(32)
    expect(manifests(join(dir, 'out', 'big'))).toHaveLength(0)

    const resumed = await rivet(['run', '-c', file, '--resume', '--json'])
    expect(resumed.code).toBe(0)
    expect(resumed.stderr).toContain(`export big: 32 chunk(s) of 10000 id, ${32 - committed} left to export`)
    const doc = JSON.parse(resumed.stdout)
    expect(doc.exports[0].run_id).toBe(checkpoint.run_id)
    expect(doc.exports[0].rows).toBe(300002)
    const [manifest] = manifests(join(dir, 'out', 'big'))
    // The chunks committed before the kill are in the manifest as they were written then.
    for (const parts of Object.values(checkpoint.done) as { path: string; sha256: string }[][]) {
      for (const part of parts) expect(manifest.parts).toContainEqual(expect.objectContaining(part))
    }
    const exported = await committedRows(join(dir, 'out', 'big'), 'count(*) as n, count(distinct id) as d')
    expect(exported).toEqual([{ n: '300002', d: '300002' }])
    expect(JSON.parse(readFileSync(stateFile, 'utf8')).checkpoint).toBeUndefined()
    expect((await rivet(['validate', '-c', file])).code).toBe(0)
  }, 180_000)

  test('Ctrl-C (SIGINT) exits 130, keeps the committed chunks and removes the ones in flight', async () => {
    const dir = tempDir()
    const file = config(
      dir,
      PG,
      // Small chunks: after the second commits, dozens are still to come.
      '  - { name: big, table: public.rivet_chunked, mode: chunked, chunk_column: id, chunk_size: 5000, parallel: 2 }\n',
    )
    const stateFile = join(dir, '.rivet', 'big.json')
    const run = start(['run', '-c', file])
    await chunksCommitted(stateFile, 2)
    process.kill(run.pid, 'SIGINT')
    expect(await run.exited).toBe(130)
    const checkpoint = JSON.parse(readFileSync(stateFile, 'utf8')).checkpoint
    const kept = (Object.values(checkpoint.done) as { path: string }[][]).flat().map((p) => p.path).sort()
    // Only the committed chunks' parts are on disk: the ones in flight were removed.
    const onDisk = readdirSync(join(dir, 'out', 'big')).filter((n) => n.endsWith('.parquet')).sort()
    expect(onDisk).toEqual(kept)
    expect(manifests(join(dir, 'out', 'big'))).toHaveLength(0)
    const resumed = await rivet(['run', '-c', file, '--resume', '--json'], { runtime: 'deno' })
    expect(resumed.code).toBe(0)
    expect(JSON.parse(resumed.stdout).exports[0]).toMatchObject({ run_id: checkpoint.run_id, rows: 300002 })
  }, 180_000)

  test(
    'Ctrl-C before any chunk is read (while they are planned) still exits 130, with no manifest',
    async () => {
      const dir = tempDir()
      // The planning queries run the query whole: 62 sleeps of 0.05 s in the server.
      const file = config(
        dir,
        PG,
        '  - { name: big, mode: chunked, chunk_column: id, chunk_size: 5000,\n' +
          '      query: "select t.* from public.rivet_chunked t,' +
          ' lateral (select pg_sleep(case when t.id % 5000 = 0 then 0.05 else 0 end)) s" }\n',
      )
      const run = start(['run', '-c', file])
      await Bun.sleep(1500)
      process.kill(run.pid, 'SIGINT')
      // Interrupted between chunks (here: before the first), the run failed to end as a success
      // with the chunks done so far.
      expect(await run.exited).toBe(130)
      expect(manifests(join(dir, 'out', 'big'))).toHaveLength(0)
    },
    60_000,
  )

  test('a date chunk column with NULLs: chunks of days, NULLs in their own chunk', async () => {
    const dir = tempDir()
    const file = config(
      dir,
      PG,
      '  - { name: days, table: public.rivet_chunked, mode: chunked, chunk_column: day, chunk_size: 100, parallel: 2 }\n',
    )
    const result = await rivet(['run', '-c', file, '--json'])
    expect(result.code).toBe(0)
    const log = result.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l).msg)
    // 300 days in chunks of 100, plus the NULLs.
    expect(log).toContain('export days: 4 chunk(s) of 100 day')
    const [counts] = await committedRows(join(dir, 'out', 'days'), 'count(*) as n, count(day) as dated')
    expect(counts).toEqual({ n: '300002', dated: '300000' })
  }, 120_000)
})

test('time_window exports the last days_window days of a timestamp column', async () => {
  await pgExec(`
    drop table if exists rivet_window;
    create table rivet_window (id int, at timestamptz);
    insert into rivet_window select i, now() - i * interval '1 day' + interval '1 hour' from generate_series(0, 20) i;
  `)
  const dir = tempDir()
  const file = config(
    dir,
    PG,
    '  - { name: w, table: public.rivet_window, mode: time_window, time_column: at, days_window: 7 }\n',
  )
  const result = await rivet(['run', '-c', file, '--json'])
  expect(result.code).toBe(0)
  expect(ids(await committedRows(join(dir, 'out', 'w')))).toEqual(range(0, 7))
  expect(manifests(join(dir, 'out', 'w'))[0].cursor?.column).toBe('at')
})

test('-p fills ${NAME} in a query_file', async () => {
  await pgExec(`
    drop table if exists rivet_params;
    create table rivet_params as select i as id from generate_series(1, 10) i;
  `)
  const dir = tempDir()
  writeFileSync(join(dir, 'q.sql'), 'select id from rivet_params where id > ${min_id} order by id;\n')
  const file = config(dir, PG, '  - { name: p, query_file: q.sql }\n')
  expect((await rivet(['run', '-c', file, '-p', 'min_id=7'])).code).toBe(0)
  expect(ids(await committedRows(join(dir, 'out', 'p')))).toEqual([8, 9, 10])
  const missing = await rivet(['run', '-c', file, '--json'])
  expectRunError(missing, {
    exit: 2,
    code: 'CONFIG_UNRESOLVED_VARIABLE',
    message: /q\.sql: \$\{min_id\} is not set/,
  })
})

test('mode keys are checked: a missing cursor_column, another mode key, a float cursor', async () => {
  const dir = tempDir()
  const cases: [string, RegExp][] = [
    ['{ name: a, table: t, mode: incremental }', /mode: incremental needs cursor_column/],
    [
      '{ name: a, table: t, chunk_size: 5 }',
      /chunk_size is for mode: chunked, and this export has mode: full/,
    ],
  ]
  for (const [exp, message] of cases) {
    const file = config(dir, PG, `  - ${exp}\n`)
    expectRunError(await rivet(['run', '-c', file, '--json']), { exit: 2, code: 'CONFIG_INVALID', message })
  }
  await pgExec('drop table if exists rivet_float; create table rivet_float (x float8)')
  const file = config(
    dir,
    PG,
    '  - { name: f, table: public.rivet_float, mode: incremental, cursor_column: x }\n',
  )
  expectRunError(await rivet(['run', '-c', file, '--json']), {
    exit: 2,
    code: 'CONFIG_INVALID',
    message:
      /cursor_column: column "x" is float64; use an integer, decimal, date, timestamp or string column/,
  })
  // Each mode's own kinds, checked by `check` and `--dry-run` too, before any state or data is touched.
  await pgExec('drop table if exists rivet_kinds; create table rivet_kinds (n int, t text)')
  const kinds: [string, string, RegExp][] = [
    [
      'run',
      'mode: chunked, chunk_column: t, chunk_size: 5',
      /chunk_column: column "t" is string; use an integer or date column/,
    ],
    [
      'check',
      'mode: time_window, time_column: n, days_window: 3',
      /time_column: column "n" is int32; use a date or timestamp column/,
    ],
  ]
  for (const [command, keys, message] of kinds) {
    const kindsFile = config(dir, PG, `  - { name: k, table: public.rivet_kinds, ${keys} }\n`)
    expectRunError(await rivet([command, '-c', kindsFile, '--json']), {
      exit: 2,
      code: 'CONFIG_INVALID',
      message,
    })
  }
  expect(existsSync(join(dir, '.rivet'))).toBe(false)
  expect(existsSync(join(dir, 'out'))).toBe(false)
})

test('state beside the data on MinIO: of two runs at once, exactly one advances the cursor', async () => {
  await pgExec(`
    drop table if exists rivet_race;
    create table rivet_race (id bigint primary key, payload text);
    insert into rivet_race select i, repeat(md5(i::text), 4) from generate_series(1, 150000) i;
  `)
  const bucket = await newBucket('rivet-race')
  const dir = tempDir()
  const file = writeConfig(
    dir,
    `source: ${PG}
destination:
  type: s3
  bucket: ${bucket}
  prefix: data/
  endpoint: ${MINIO.endpoint}
  region: us-east-1
  access_key_env: RIVET_S3_KEY
  secret_key_env: RIVET_S3_SECRET
state: { type: destination }
exports:
  - { name: race, table: public.rivet_race, mode: incremental, cursor_column: id }
`,
  )
  const [a, b] = await Promise.all([
    rivet(['run', '-c', file, '--json'], { env: MINIO_ENV }),
    rivet(['run', '-c', file, '--json'], { env: MINIO_ENV }),
  ])
  const codes = [a.code, b.code].sort()
  expect(codes).toEqual([0, 5])
  const winner = a.code === 0 ? a : b
  const loser = a.code === 0 ? b : a
  expect(errorLines(loser.stderr)[0]).toMatchObject({ code: 'STATE_CONFLICT', exit: 5 })
  const runId = JSON.parse(winner.stdout).exports[0].run_id
  const state = JSON.parse(new TextDecoder().decode(await getObject(bucket, 'data/race/_rivet/state.json')))
  expect(state.cursor).toMatchObject({ value: '150000', run_id: runId })
  // Only the winner's parts and manifest remain.
  const keys = await listKeys(bucket)
  expect(keys.filter((k) => k.endsWith('.parquet')).every((k) => k.includes(runId))).toBe(true)
  expect(keys.filter((k) => k.includes('_rivet/runs/'))).toEqual([`data/race/_rivet/runs/${runId}.json`])
}, 120_000)

test('--reconcile fails the run (exit 6, manifest failed) when the source counts other rows than were exported', async () => {
  // The scalar subquery runs once per query: the export sees ids up to 5, the count up to 6.
  await pgExec(`
    drop table if exists rivet_rec; drop sequence if exists rivet_rec_seq;
    create sequence rivet_rec_seq start 5;
    create table rivet_rec as select i as id from generate_series(1, 10) i;
  `)
  const dir = tempDir()
  const file = config(
    dir,
    PG,
    '  - { name: moving, query: "select id from rivet_rec where id <= (select nextval(\'rivet_rec_seq\'))" }\n' +
      '  - { name: still, table: public.rivet_rec }\n',
  )
  const stillOnly = await rivet(['run', '-c', file, '-e', 'still', '--reconcile'])
  expect(stillOnly.code).toBe(0)
  const result = await rivet(['run', '-c', file, '-e', 'moving', '--reconcile', '--json'])
  expectRunError(result, {
    exit: 6,
    code: 'QUALITY_FAILED',
    message: /reconcile: the source counts 6 rows in what this run read, the run exported 5/,
  })
  const [manifest] = manifests(join(dir, 'out', 'moving'))
  expect(manifest.status).toBe('failed')
  expect(manifest.failures).toEqual([expect.objectContaining({ rule: 'reconcile', measured: 5, limit: 6 })])
})

test('MariaDB chunked (DIV ranges, parallel) and SQLite incremental read every row once', async () => {
  await mysqlExec(`
    drop table if exists rivet_chunked;
    create table rivet_chunked (id bigint unsigned primary key, v varchar(10));
    insert into rivet_chunked select seq, concat('v', seq) from seq_1_to_5000;
    insert into rivet_chunked values (18446744073709551615, 'max');
  `)
  const dir = tempDir()
  const db = new Database(join(dir, 'inc.db'))
  db.run('create table t (id integer primary key, at datetime)')
  db.run(
    "insert into t values (1, '2026-11-01 10:00:00'), (2, '2026-11-01 10:00:00'), (3, '2026-11-02 10:00:00')",
  )
  const mysqlFile = config(
    dir,
    MYSQL,
    '  - { name: c, table: rivet_chunked, mode: chunked, chunk_column: id, chunk_size: 1000, parallel: 2 }\n',
  )
  const chunked = await rivet(['run', '-c', mysqlFile, '--json', '--reconcile'])
  expect(chunked.code).toBe(0)
  expect(chunked.stderr).toContain('export c: 6 chunk(s) of 1000 id')
  const rows = await committedRows(
    join(dir, 'out', 'c'),
    'count(*) as n, count(distinct id) as d, max(id)::varchar as m',
  )
  expect(rows).toEqual([{ n: '5001', d: '5001', m: '18446744073709551615' }])

  const sqliteDir = tempDir()
  const sqliteFile = config(
    sqliteDir,
    `{ type: sqlite, path: ${join(dir, 'inc.db')} }`,
    '  - { name: s, table: t, mode: incremental, cursor_column: at }\n',
  )
  expect((await rivet(['run', '-c', sqliteFile])).code).toBe(0)
  db.run("insert into t values (4, '2026-11-02 10:00:00'), (5, '2026-11-03 00:00:00')")
  db.close()
  const second = await rivet(['run', '-c', sqliteFile, '--json'])
  expect(second.code).toBe(0)
  expect(JSON.parse(second.stdout).exports[0].rows).toBe(2)
  expect(ids(await committedRows(join(sqliteDir, 'out', 's')))).toEqual([1, 2, 3, 4, 5])
})
