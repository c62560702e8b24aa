/**
 * `mode: cdc` on the real PostgreSQL (wal_level = logical, set by scripts/services.sh), through
 * the CLI: a first run's snapshot, then inserts, updates (a TOASTed value left unchanged, a key
 * changed), deletes, truncates and multi-statement transactions; replaying the committed parts in
 * (`_rivet_position`, `_rivet_seq`) order gives the table value by value; the slot advances only
 * after a commit; kill -9 mid-run loses nothing; two runs at once; `rivet cdc drop`; the
 * one-line errors of a table without a key, a user without REPLICATION and a slot in use.
 * Every slot a test creates is dropped at the end: a leftover slot keeps WAL on the shared server.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { type Manifest, manifestSchema } from '../../src/pipeline/manifest.ts'
import { expectRunError, rivet, ROOT } from '../helpers/cli.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { duck } from '../helpers/parquet.ts'
import { PG_URL, pgExec, pgRows } from '../helpers/pg.ts'

const SLOTS = [
  'rivet_cdc_main',
  'rivet_cdc_full',
  'rivet_cdc_kill',
  'rivet_cdc_race',
  'rivet_cdc_busy',
  'rivet_cdc_follow',
  'rivet_cdc_alter',
  'rivet_cdc_big',
  'rivet_cdc_midalter',
]

async function dropSlots(): Promise<void> {
  await pgExec(`
    select pg_drop_replication_slot(slot_name) from pg_replication_slots
     where slot_name in (${SLOTS.map((s) => `'${s}'`).join(', ')}) and not active;
    ${SLOTS.map((s) => `drop publication if exists ${s};`).join('\n')}
  `)
}

// One run of this file at a time on the server (a whole-suite run and a run of this file alone use
// the same slot names): a session lock, released when its connection ends.
const lock = postgres(PG_URL, { max: 1, onnotice: () => {} })
beforeAll(async () => {
  await lock.unsafe('select pg_advisory_lock(20261221)')
})
afterAll(async () => {
  await dropSlots()
  await lock.end()
})

function manifests(exportDir: string): Manifest[] {
  const runs = join(exportDir, '_rivet', 'runs')
  if (!existsSync(runs)) return []
  return readdirSync(runs).filter((name) => name.endsWith('.json')).sort().map((name) =>
    manifestSchema.parse(JSON.parse(readFileSync(join(runs, name), 'utf8')))
  )
}

/** The rows of every committed part, in replay order. */
async function changes(exportDir: string, select = '*'): Promise<Record<string, unknown>[]> {
  const files = manifests(exportDir).flatMap((m) => m.parts.map((p) => `'${join(exportDir, p.path)}'`))
  if (!files.length) return []
  return await duck(
    `select ${select} from read_parquet([${
      files.join(', ')
    }], union_by_name = true) order by _rivet_position, _rivet_seq`,
  )
}

/** The table a replay of change rows leaves, keyed by id; unsent columns keep their old value. */
function replay(rows: Record<string, unknown>[], columns: string[]): Map<string, Record<string, unknown>> {
  const table = new Map<string, Record<string, unknown>>()
  for (const row of rows) {
    const op = row._rivet_op
    if (op === 't') {
      table.clear()
      continue
    }
    const id = String(row.id)
    if (op === 'd') {
      table.delete(id)
      continue
    }
    const unchanged = row._rivet_unchanged ? String(row._rivet_unchanged).split(',') : []
    const before = table.get(id)
    table.set(id, Object.fromEntries(columns.map((c) => [c, unchanged.includes(c) ? before![c] : row[c]])))
  }
  return table
}

function config(dir: string, exports: string): string {
  return writeConfig(
    dir,
    `source: { type: postgres, url: "${PG_URL}" }\ndestination: { type: local, path: ${
      join(dir, 'out')
    } }\nexports:\n${exports}`,
  )
}

async function confirmedFlush(slot: string): Promise<string | undefined> {
  const [row] = await pgRows(
    `select confirmed_flush_lsn::text as lsn from pg_replication_slots where slot_name = '${slot}'`,
  )
  return row?.lsn as string | undefined
}

/** `_rivet_position` (16 hex digits) as PostgreSQL writes an LSN. */
function lsnText(position: string): string {
  return `${parseInt(position.slice(0, 8), 16).toString(16).toUpperCase()}/${
    parseInt(position.slice(8), 16).toString(16).toUpperCase()
  }`
}

const COLUMNS = ['id', 'note', 'big', 'amount', 'ts', 'data']

describe('cdc', () => {
  test('snapshot, then every kind of change; the committed parts replay to the table, value by value', async () => {
    await pgExec(`
      drop table if exists rivet_cdc;
      create table rivet_cdc (id int primary key, note text, big text, amount numeric(12,2),
                              ts timestamptz, data bytea);
      -- 12.8 KB of hex that pglz cannot shrink below the TOAST threshold: stored out of line.
      insert into rivet_cdc select i, 'n' || i, case when i = 1 then (select string_agg(md5(g::text), '')
        from generate_series(1, 400) g) end, i * 1.25, '2026-01-02 03:04:05.123456+00', '\\x00ff'
        from generate_series(1, 5) i;
    `)
    const dir = tempDir()
    const file = config(
      dir,
      '  - name: cdc-main\n    table: public.rivet_cdc\n    mode: cdc\n    max_slot_lag: 1\n' +
        '  - name: copy\n    table: public.rivet_cdc\n',
    )
    const out = join(dir, 'out', 'cdc-main')
    const first = await rivet(['run', '-c', file, '-e', 'cdc-main', '--json'])
    expect(first.code).toBe(0)
    const snapshot = await changes(out)
    expect(snapshot.map((r) => r._rivet_op)).toEqual(['r', 'r', 'r', 'r', 'r'])
    expect(snapshot.map((r) => Number(r._rivet_seq))).toEqual([0, 1, 2, 3, 4])
    const state = JSON.parse(readFileSync(join(dir, '.rivet', 'cdc-main.json'), 'utf8'))
    expect(state.capture).toMatchObject({ slot: 'rivet_cdc_main', position: snapshot[0]._rivet_position })
    // The slot was created at the snapshot's position: nothing to confirm yet.
    expect(await confirmedFlush('rivet_cdc_main')).toBe(lsnText(String(snapshot[0]._rivet_position)))

    await pgExec(`
      begin;
      insert into rivet_cdc values (6, 'six', null, 6.5, null, null);
      update rivet_cdc set note = 'one' where id = 1;
      delete from rivet_cdc where id = 2;
      commit;
      update rivet_cdc set id = 30 where id = 3;
      update rivet_cdc set amount = 0.01, ts = '2026-12-31 23:59:59.999999+00' where id = 4;
    `)
    const second = await rivet(['run', '-c', file, '-e', 'cdc-main'])
    expect(second.code).toBe(0)
    // The slot keeps more than max_slot_lag (1 byte here): every run says so.
    expect(second.stderr).toMatch(/replication slot rivet_cdc_main keeps .* of change log on the server/)
    const all = await changes(out)
    const streamed = all.slice(5)
    expect(streamed.map((r) => `${r._rivet_op}${r.id}`)).toEqual(['c6', 'u1', 'd2', 'd3', 'c30', 'u4'])
    // One transaction, one position, seq in statement order; positions grow with the commits.
    expect(streamed.slice(0, 3).map((r) => r._rivet_position)).toEqual(
      Array(3).fill(streamed[0]._rivet_position),
    )
    expect(streamed.slice(0, 3).map((r) => Number(r._rivet_seq))).toEqual([0, 1, 2])
    expect(String(streamed[3]._rivet_position) > String(streamed[0]._rivet_position)).toBe(true)
    expect(String(streamed[0]._rivet_position) > String(snapshot[0]._rivet_position)).toBe(true)
    // The TOASTed value the update left alone was not sent: marked, never NULL in disguise.
    expect(streamed[1]).toMatchObject({ note: 'one', big: null, _rivet_unchanged: 'big' })
    // A delete under the default replica identity carries the key only.
    expect(streamed[2]).toMatchObject({ id: 2, note: null, _rivet_unchanged: null })
    const commitTs = new Date(String(streamed[0]._rivet_commit_ts)).getTime()
    expect(Math.abs(commitTs - Date.now())).toBeLessThan(60_000)
    const [{ lsn }] = await pgRows(`select confirmed_flush_lsn::text as lsn from pg_replication_slots
      where slot_name = 'rivet_cdc_main'`)
    const saved = JSON.parse(readFileSync(join(dir, '.rivet', 'cdc-main.json'), 'utf8')).capture.position
    expect(lsn).toBe(lsnText(saved))

    await pgExec(`
      begin; truncate rivet_cdc; insert into rivet_cdc values (7, 'seven', null, 7, null, '\\x01'); commit;
      insert into rivet_cdc select i, 'n' || i, repeat('x', i), i, now(), null from generate_series(8, 9) i;
    `)
    expect((await rivet(['run', '-c', file, '-e', 'cdc-main'])).code).toBe(0)
    const after = (await changes(out)).slice(all.length)
    expect(after.map((r) => `${r._rivet_op}${r.id ?? ''}`)).toEqual(['t', 'c7', 'c8', 'c9'])

    const shown = await rivet(['state', 'show', '-c', file, '-e', 'cdc-main'])
    const position = JSON.parse(readFileSync(join(dir, '.rivet', 'cdc-main.json'), 'utf8')).capture.position
    // Past the last change's position: the run read everything up to the server's position.
    expect(position >= String(after.at(-1)!._rivet_position)).toBe(true)
    expect(shown.stdout).toContain(`slot rivet_cdc_main read to position ${position} (run `)

    // A run with nothing new writes no change.
    expect((await rivet(['run', '-c', file, '-e', 'cdc-main'])).code).toBe(0)
    expect(manifests(out).at(-1)!.rows).toBe(0)

    // Replay against a full export of the table: the same values of the same types.
    expect((await rivet(['run', '-c', file, '-e', 'copy'])).code).toBe(0)
    const copyFile = join(dir, 'out', 'copy', manifests(join(dir, 'out', 'copy'))[0].parts[0].path)
    const expected = await duck(`select ${COLUMNS.join(', ')} from read_parquet('${copyFile}') order by id`)
    const replayed = [...replay(await changes(out), COLUMNS).values()].sort((a, b) =>
      Number(a.id) - Number(b.id)
    )
    expect(replayed).toEqual(expected)
    const types = await duck(
      `select column_name, column_type from (describe select * from read_parquet('${
        join(out, manifests(out)[0].parts[0].path)
      }'))`,
    )
    const copyTypes = await duck(
      `select column_name, column_type from (describe select * from read_parquet('${copyFile}'))`,
    )
    expect(types.slice(0, COLUMNS.length)).toEqual(copyTypes)
    expect(types.slice(COLUMNS.length).map((t) => `${t.column_name} ${t.column_type}`)).toEqual([
      '_rivet_op VARCHAR',
      '_rivet_position VARCHAR',
      '_rivet_commit_ts TIMESTAMP WITH TIME ZONE',
      '_rivet_seq BIGINT',
      '_rivet_unchanged VARCHAR',
    ])

    // check and doctor show the server's setting and the slot.
    const check = await rivet(['check', '-c', file, '-e', 'cdc-main', '--json'])
    expect(check.code).toBe(0)
    const capture = JSON.parse(check.stdout).exports[0].capture
    expect(capture).toMatchObject({
      setting: 'wal_level = logical',
      fix: null,
      slot: 'rivet_cdc_main',
      slot_state: {
        active: false,
        lag_bytes: expect.any(Number),
        confirmed: await confirmedFlush('rivet_cdc_main'),
      },
      over_max_slot_lag: true,
    })
    expect(capture.slot_state.retained_bytes).toBeGreaterThan(0)
    const doctor = await rivet(['doctor', '-c', file])
    expect(doctor.stdout).toMatch(
      /ok {3}cdc cdc-main: wal_level = logical \(ready\); slot rivet_cdc_main: not active, keeps .* of WAL/,
    )

    // rivet cdc drop removes the slot and the publication, and says so.
    const drop = await rivet(['cdc', 'drop', '-c', file, '-e', 'cdc-main'])
    expect(drop.code).toBe(0)
    expect(drop.stdout).toContain('slot rivet_cdc_main removed')
    expect(await confirmedFlush('rivet_cdc_main')).toBeUndefined()
    expect(await pgRows(`select 1 from pg_publication where pubname = 'rivet_cdc_main'`)).toHaveLength(0)
  })

  test('REPLICA IDENTITY FULL: an unchanged TOASTed value comes from the old row', async () => {
    await pgExec(`
      drop table if exists rivet_cdc_full;
      create table rivet_cdc_full (id int primary key, note text, big text);
      alter table rivet_cdc_full replica identity full;
      insert into rivet_cdc_full select 1, 'a', string_agg(md5(g::text), '') from generate_series(1, 400) g;
    `)
    const dir = tempDir()
    const file = config(dir, '  - name: cdc-full\n    table: rivet_cdc_full\n    mode: cdc\n')
    expect((await rivet(['run', '-c', file])).code).toBe(0)
    await pgExec(`update rivet_cdc_full set note = 'b'; delete from rivet_cdc_full`)
    // The same reader under Deno.
    expect((await rivet(['run', '-c', file], { runtime: 'deno' })).code).toBe(0)
    const rows = await changes(
      join(dir, 'out', 'cdc-full'),
      '_rivet_op, note, length(big)::int as big, _rivet_unchanged',
    )
    expect(rows).toEqual([
      { _rivet_op: 'r', note: 'a', big: 12800, _rivet_unchanged: null },
      { _rivet_op: 'u', note: 'b', big: 12800, _rivet_unchanged: null },
      { _rivet_op: 'd', note: 'b', big: 12800, _rivet_unchanged: null },
    ])
  })

  test(
    'kill -9 mid-snapshot and mid-run, then a run: every change is in committed parts once',
    async () => {
      await pgExec(`
      drop table if exists rivet_cdc_kill;
      create table rivet_cdc_kill (id int primary key, payload text);
      insert into rivet_cdc_kill select i, repeat(md5(i::text), 8) from generate_series(1, 100000) i;
    `)
      const dir = tempDir()
      const file = config(dir, '  - name: cdc-kill\n    table: rivet_cdc_kill\n    mode: cdc\n')
      const out = join(dir, 'out', 'cdc-kill')
      /** Starts a run and kills it with SIGKILL once it logs `line`. */
      const killAt = async (line: string) => {
        const child = spawn(process.execPath, [join(ROOT, 'mod.ts'), 'run', '-c', file], {
          stdio: ['ignore', 'ignore', 'pipe'],
        })
        const exited = new Promise((resolve) => child.on('close', resolve))
        await new Promise<void>((resolve) => {
          child.stderr.on('data', (d: Buffer) => {
            if (d.toString().includes(line)) setTimeout(resolve, 50)
          })
          // A run that ends before the line (an error) fails the expectation below, not the timeout.
          child.on('close', () => resolve())
        })
        child.kill('SIGKILL')
        expect(await exited).toBe(null)
      }
      // Killed while writing the snapshot: the slot it made is made again, with a new snapshot.
      await killAt('writing a snapshot')
      expect(manifests(out)).toHaveLength(0)
      const first = await rivet(['run', '-c', file])
      expect(first.code).toBe(0)
      expect(first.stderr).toContain('stopped before committing; the slot and its snapshot are made again')
      expect(manifests(out)).toHaveLength(1)
      expect(manifests(out)[0].rows).toBe(100000)

      await pgExec(`
      insert into rivet_cdc_kill select i, repeat(md5(i::text), 8) from generate_series(100001, 200000) i;
      update rivet_cdc_kill set payload = 'u' where id % 1000 = 0;
    `)
      await killAt('reading changes')
      expect(manifests(out)).toHaveLength(1)
      // The slot kept everything: the next run reads it all.
      expect((await rivet(['run', '-c', file])).code).toBe(0)
      const rows = await changes(out, '_rivet_op as op, id, payload, _rivet_position as p, _rivet_seq as s')
      expect(rows.filter((r) => r.op === 'r')).toHaveLength(100000)
      expect(rows.filter((r) => r.op === 'c')).toHaveLength(100000)
      expect(rows.filter((r) => r.op === 'u').map((r) => Number(r.id))).toEqual(
        Array.from({ length: 200 }, (_, i) => (i + 1) * 1000),
      )
      expect(new Set(rows.map((r) => `${r.p}/${r.s}`)).size).toBe(rows.length)
    },
    60_000,
  )

  test('--follow commits every rollover until SIGTERM; nothing is lost', async () => {
    await pgExec(`
      drop table if exists rivet_cdc_follow;
      create table rivet_cdc_follow (id int primary key);
      insert into rivet_cdc_follow values (1);
    `)
    const dir = tempDir()
    const file = config(
      dir,
      '  - name: cdc-follow\n    table: rivet_cdc_follow\n    mode: cdc\n    rollover: 1s\n',
    )
    const out = join(dir, 'out', 'cdc-follow')
    const child = spawn(process.execPath, [join(ROOT, 'mod.ts'), 'run', '-c', file, '--follow'], {
      stdio: 'ignore',
    })
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    const until = async (check: () => Promise<boolean>) => {
      for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 100))
    }
    const ids = async () => (await changes(out, 'id')).map((r) => Number(r.id))
    await until(async () => (await ids()).includes(1))
    await pgExec(`insert into rivet_cdc_follow values (2)`)
    await until(async () => (await ids()).includes(2))
    await pgExec(`insert into rivet_cdc_follow values (3)`)
    await until(async () => (await ids()).includes(3))
    expect(await ids()).toEqual([1, 2, 3])
    // Each commit is a run of its own: the snapshot, then one per change here.
    expect(manifests(out).filter((m) => m.rows > 0).length).toBeGreaterThanOrEqual(3)
    child.kill('SIGTERM')
    expect([0, 130]).toContain((await exited) ?? -1)
    expect((await rivet(['run', '-c', file])).code).toBe(0)
    expect(await ids()).toEqual([1, 2, 3])
    expectRunError(await rivet(['run', '-c', file, '--reconcile', '--json']), {
      exit: 2,
      code: 'USAGE',
      message: /--reconcile counts the rows of a query; export cdc-follow writes changes/,
    })
    // A batch export cannot follow.
    const batch = config(dir, '  - name: batch\n    table: rivet_cdc_follow\n')
    expectRunError(await rivet(['run', '-c', batch, '--follow', '--json']), {
      exit: 2,
      code: 'USAGE',
      message: /--follow .* export batch has mode: full, not cdc/,
    })
  }, 30_000)

  test('columns added and removed between runs: NULL before a column existed; changes of a dropped one stop', async () => {
    await pgExec(`
      drop table if exists rivet_cdc_alter;
      create table rivet_cdc_alter (id int primary key, gone text);
      insert into rivet_cdc_alter values (1, 'a');
    `)
    const dir = tempDir()
    const file = config(dir, '  - name: cdc-alter\n    table: rivet_cdc_alter\n    mode: cdc\n')
    expect((await rivet(['run', '-c', file])).code).toBe(0)
    await pgExec(`
      insert into rivet_cdc_alter values (2, 'b');
      alter table rivet_cdc_alter add column added int;
      insert into rivet_cdc_alter values (3, 'c', 30);
    `)
    // The run plans the new column; the change made before it existed has NULL there.
    const second = await rivet(['run', '-c', file])
    expect(second.code).toBe(0)
    expect(second.stderr).toContain('added')
    const out = join(dir, 'out', 'cdc-alter')
    expect(await changes(out, '_rivet_op as op, id, gone, added')).toEqual([
      { op: 'r', id: 1, gone: 'a', added: null },
      { op: 'c', id: 2, gone: 'b', added: null },
      { op: 'c', id: 3, gone: 'c', added: 30 },
    ])
    // A change that still has a column the table no longer has cannot be written: one line, exit 3.
    await pgExec(`
      insert into rivet_cdc_alter values (4, 'd', 40);
      alter table rivet_cdc_alter drop column gone;
    `)
    expectRunError(await rivet(['run', '-c', file, '--json', '--accept-drift']), {
      exit: 3,
      code: 'CDC_SCHEMA_CHANGED',
      message: /changed since the changes the slot holds next \(column gone is not in the export\)/,
    })
  })

  test('a 200k-row transaction streams into one part at flat memory; parts roll only between transactions', async () => {
    await pgExec(`
      drop table if exists rivet_cdc_big;
      create table rivet_cdc_big (id int primary key, payload text);
    `)
    const dir = tempDir()
    const file = config(
      dir,
      '  - name: cdc-big\n    table: rivet_cdc_big\n    mode: cdc\n    format: csv\n    max_file_size: 1MB\n',
    )
    expect((await rivet(['run', '-c', file])).code).toBe(0)
    await pgExec(
      `insert into rivet_cdc_big select i, repeat(md5(i::text), 2) from generate_series(1, 200000) i`,
    )
    await pgExec(`insert into rivet_cdc_big values (200001, 'after')`)
    const run = await rivet(['run', '-c', file])
    expect(run.code).toBe(0)
    // Held whole until its commit, the transaction took 224 MB (309 MB measured first); streamed, ~150.
    expect(run.peakKb).toBeLessThan(190_000)
    const out = join(dir, 'out', 'cdc-big')
    const files = manifests(out).flatMap((m) => m.parts.map((p) => `'${join(out, p.path)}'`))
    const parts = await duck(
      `select count(*)::int as n, min(_rivet_seq)::int as lo, max(_rivet_seq)::int as hi,
              count(distinct _rivet_position)::int as positions, min(id)::int as first,
              count(distinct id)::int as ids, sum(length(payload))::int as chars
         from read_csv([${files.join(', ')}], filename = true) where _rivet_op = 'c'
        group by filename order by first`,
    )
    // Its 13 MB of CSV pass max_file_size many times over, yet it is whole in one part; the part
    // rolls right after it.
    expect(parts).toEqual([
      { n: 200000, lo: 0, hi: 199999, positions: 1, first: 1, ids: 200000, chars: 200000 * 64 },
      { n: 1, lo: 0, hi: 0, positions: 1, first: 200001, ids: 1, chars: 5 },
    ])
  })

  test('a column that comes inside a transaction already partly written: exit 3, nothing committed', async () => {
    await pgExec(`
      drop table if exists rivet_cdc_midalter;
      create table rivet_cdc_midalter (id int primary key, payload text);
    `)
    const dir = tempDir()
    const file = config(dir, '  - name: cdc-midalter\n    table: rivet_cdc_midalter\n    mode: cdc\n')
    expect((await rivet(['run', '-c', file])).code).toBe(0)
    // One transaction (one simple query): more rows than a batch, then a column the run's plan
    // will not have (dropped again before the run).
    await pgExec(`
      insert into rivet_cdc_midalter select i, 'p' from generate_series(1, 6000) i;
      alter table rivet_cdc_midalter add column added int;
      insert into rivet_cdc_midalter values (6001, 'q', 7);
    `)
    await pgExec('alter table rivet_cdc_midalter drop column added')
    const out = join(dir, 'out', 'cdc-midalter')
    expectRunError(await rivet(['run', '-c', file, '--json']), {
      exit: 3,
      code: 'CDC_SCHEMA_CHANGED',
      message: /changed \(column added is not in the export\) inside a transaction whose first 5000 rows/,
    })
    expect(manifests(out)).toHaveLength(1)
    expect(listFiles(out).filter((f) => f.endsWith('.parquet'))).toHaveLength(1)
    // With the column back, the next run plans it and writes the whole transaction.
    await pgExec('alter table rivet_cdc_midalter add column added int')
    expect((await rivet(['run', '-c', file])).code).toBe(0)
    const rows = await changes(out, '_rivet_op as op, id, added, _rivet_seq::int as s')
    expect(rows).toHaveLength(6001)
    expect(rows.at(-1)).toEqual({ op: 'c', id: 6001, added: 7, s: 6000 })
    expect(rows.every((r, i) => r.s === i && r.id === i + 1)).toBe(true)
  })

  test('two runs at once: one reads the slot, the other exits 5 STATE_CONFLICT', async () => {
    await pgExec(`
      drop table if exists rivet_cdc_race;
      create table rivet_cdc_race (id int primary key, payload text);
    `)
    const dir = tempDir()
    const file = config(dir, '  - name: cdc-race\n    table: rivet_cdc_race\n    mode: cdc\n')
    expect((await rivet(['run', '-c', file])).code).toBe(0)
    await pgExec(`insert into rivet_cdc_race select i, repeat('x', 200) from generate_series(1, 50000) i`)
    const results = await Promise.all([
      rivet(['run', '-c', file, '--json']),
      rivet(['run', '-c', file, '--json']),
    ])
    const codes = results.map((r) => r.code).sort()
    expect(codes).toEqual([0, 5])
    expectRunError(results.find((r) => r.code === 5)!, {
      exit: 5,
      code: 'STATE_CONFLICT',
      message: /another run|another rivet run/,
    })
    const rows = await changes(join(dir, 'out', 'cdc-race'), 'id')
    expect(rows).toHaveLength(50000)
  }, 60_000)

  test('bad input: a table without a key, no REPLICATION, a slot in use: one line, exit code, nothing written', async () => {
    await pgExec(`
      drop table if exists rivet_cdc_nokey;
      create table rivet_cdc_nokey (a int, b text);
      drop table if exists rivet_cdc_busy;
      create table rivet_cdc_busy (id int primary key);
      do $$ begin
        if not exists (select from pg_roles where rolname = 'rivet_norepl') then
          create role rivet_norepl login;
        end if;
      end $$;
      grant select on rivet_cdc_busy to rivet_norepl;
    `)
    const dir = tempDir()
    const nokey = config(dir, '  - name: nokey\n    table: rivet_cdc_nokey\n    mode: cdc\n')
    expectRunError(await rivet(['run', '-c', nokey, '--json']), {
      exit: 3,
      code: 'CDC_NO_IDENTITY',
      message: /no primary key.*REPLICA IDENTITY FULL/,
    })
    expect(await pgRows(`select 1 from pg_publication where pubname = 'rivet_nokey'`)).toHaveLength(0)

    const norepl = writeConfig(
      dir,
      `source: { type: postgres, url: "${PG_URL.replace('postgres@', 'rivet_norepl@')}" }\n` +
        `destination: { type: local, path: ${join(dir, 'out')} }\n` +
        'exports:\n  - name: norepl\n    table: rivet_cdc_busy\n    mode: cdc\n',
      'norepl.yaml',
    )
    expectRunError(await rivet(['run', '-c', norepl, '--json']), {
      exit: 4,
      code: 'PERMISSION_DENIED',
      message: /role rivet_norepl may not read a replication slot; run ALTER ROLE rivet_norepl REPLICATION/,
    })

    // Another consumer holds the slot.
    await pgExec(`select pg_create_logical_replication_slot('rivet_cdc_busy', 'pgoutput')`)
    const other = postgres(PG_URL, {
      max: 1,
      onnotice: () => {},
      fetch_types: false,
      connection: { replication: 'database', application_name: 'someone-else' } as Record<string, string>,
    })
    try {
      const stream = await other.unsafe(
        `START_REPLICATION SLOT rivet_cdc_busy LOGICAL 0/0 (proto_version '1', publication_names 'rivet_cdc_busy')`,
      ).writable()
      const busy = config(
        dir,
        '  - name: busy\n    table: rivet_cdc_busy\n    mode: cdc\n    slot: rivet_cdc_busy\n',
      )
      expectRunError(await rivet(['run', '-c', busy, '--json']), {
        exit: 3,
        code: 'CDC_SLOT_IN_USE',
        message: /slot rivet_cdc_busy .* in use by PID \d+ \(someone-else\)/,
      })
      stream.end()
    } finally {
      await other.end({ timeout: 1 })
    }
    expect(listFiles(join(dir, 'out'))).toEqual([])
  })
})
