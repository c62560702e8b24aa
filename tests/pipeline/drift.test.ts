/**
 * Schema drift through the CLI against PostgreSQL: the query's columns change between runs
 * (through `-p COLS=...`), and the default policy warns on an added column, refuses a rename, a
 * removal and a type change with exit 6 and one line naming each, writing nothing; `rivet check`
 * shows it, `--accept-drift` and `rivet state accept-schema` accept it, `on_schema_drift: fail`
 * refuses even an added column.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { compareSchemas, describeChange } from '../../src/pipeline/drift.ts'
import { parseState, STATE_VERSION } from '../../src/pipeline/state.ts'
import { errorLines, rivet } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import { PG_URL, pgExec, pgToLocal } from '../helpers/pg.ts'
import { getObject, listKeys, MINIO, MINIO_ENV, newBucket } from '../helpers/s3.ts'

beforeAll(async () => {
  await pgExec(`drop table if exists rivet_drift;
    create table rivet_drift (id int not null, note text, amount int);
    insert into rivet_drift values (1, 'a', 10), (2, null, 20);`)
})

function setup(policy = '') {
  const { dir, file } = pgToLocal(
    `exports:\n  - { name: d, query: "select \${COLS} from rivet_drift"${policy} }\n`,
  )
  const run = (cols: string, ...more: string[]) => rivet(['run', '-c', file, '-p', `COLS=${cols}`, ...more])
  const runs = () =>
    existsSync(join(dir, 'out', 'd', '_rivet', 'runs'))
      ? readdirSync(join(dir, 'out', 'd', '_rivet', 'runs')).length
      : 0
  const files = () => readdirSync(join(dir, 'out', 'd')).length
  const state = () => readFileSync(join(dir, '.rivet', 'd.json'), 'utf8')
  return { dir, file, run, runs, files, state }
}

describe('compareSchemas', () => {
  const col = (name: string, type = 'int32', nullable = true) => ({ name, type, nullable })
  test('a remove and an add at one position is a rename; order alone is no change', () => {
    const changes = compareSchemas(
      [col('id', 'int32', false), col('note', 'string'), col('amount')],
      [col('amount', 'int64'), col('label', 'string'), col('id', 'int32', true), col('extra')],
    )
    expect(changes.map(describeChange)).toEqual([
      'renamed note -> label',
      'added extra (int32)',
      'id NOT NULL -> nullable',
      'type of amount int32 -> int64',
    ])
    expect(compareSchemas([col('a'), col('b')], [col('b'), col('a')])).toEqual([])
  })
})

describe('state', () => {
  test('a state_version 1 file (before schema) reads as version 2, the rest kept', () => {
    const v1 = {
      state_version: 1,
      export: 'orders',
      updated_at: '2026-11-22T19:52:00.000Z',
      cursor: { column: 'id', type: 'int64', value: '42', boundary: [], run_id: '20261122T195200Z-1a2b3c' },
    }
    const parsed = parseState(new TextEncoder().encode(JSON.stringify(v1)), 'x')
    expect(STATE_VERSION).toBe(2)
    expect(parsed).toEqual({ ...v1, state_version: 2 })
  })
})

describe('on_schema_drift', () => {
  test('default: an added column warns; rename, removal and type change exit 6 and write nothing', async () => {
    const t = setup()
    expect((await t.run('id, note, amount')).code).toBe(0)
    const first = JSON.parse(t.state())
    expect(first.schema.columns).toEqual([
      { name: 'id', type: 'int32', nullable: true },
      { name: 'note', type: 'string', nullable: true },
      { name: 'amount', type: 'int32', nullable: true },
    ])
    expect(first.schema.run_id).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{6}$/)

    const added = await t.run('id, note, amount, note as extra')
    expect(added.code).toBe(0)
    expect(added.stderr).toContain(`schema drift since run ${first.schema.run_id}: added extra (string)`)
    expect(t.runs()).toBe(2)

    const before = t.state()
    const filesBefore = t.files()
    const refused = await t.run('id, note as label, amount::bigint as amount', '--json')
    expect(refused.code).toBe(6)
    const [{ msg: line }] = errorLines(refused.stderr)
    expect(line).toContain('schema drift since run')
    expect(line).toContain('renamed note -> label; removed extra (string); type of amount int32 -> int64')
    expect(line).toContain('rivet state accept-schema -e d')
    expect(JSON.parse(refused.stdout).error).toMatchObject({ code: 'SCHEMA_DRIFT', exit: 6 })
    expect(t.state()).toBe(before)
    expect(t.runs()).toBe(2)
    expect(t.files()).toBe(filesBefore)

    const check = await rivet([
      'check',
      '-c',
      t.file,
      '-p',
      'COLS=id, note as label, amount::bigint as amount',
      '--json',
    ])
    expect(check.code).toBe(0)
    expect(JSON.parse(check.stdout).exports[0].drift).toEqual({
      since: JSON.parse(before).schema.run_id,
      changes: ['renamed note -> label', 'removed extra (string)', 'type of amount int32 -> int64'],
      refused: true,
    })

    const accepted = await t.run('id, note as label, amount::bigint as amount', '--accept-drift')
    expect(accepted.code).toBe(0)
    expect(JSON.parse(t.state()).schema.columns.map((c: { name: string }) => c.name)).toEqual([
      'id',
      'label',
      'amount',
    ])
    expect(t.runs()).toBe(3)
  })

  test('fail refuses an added column; rivet state accept-schema (Deno) lets the next run through', async () => {
    const t = setup(', on_schema_drift: fail')
    expect((await t.run('id')).code).toBe(0)
    const refused = await t.run('id, note')
    expect(refused.code).toBe(6)
    expect(errorLines(refused.stderr)[0].msg).toContain('added note (string)')
    const accept = await rivet(['state', 'accept-schema', '-c', t.file, '-e', 'd', '-p', 'COLS=id, note'], {
      runtime: 'deno',
    })
    expect(accept.stderr).not.toContain('"error"')
    expect(accept.code).toBe(0)
    expect(accept.stdout).toContain('d: schema of 2 columns accepted (added note (string))')
    const schema = JSON.parse(t.state()).schema
    expect(schema.run_id).toBeUndefined()
    expect((await t.run('id, note')).code).toBe(0)
    expect(t.runs()).toBe(2)
  })

  test('state beside the data on MinIO: the schema is kept there, check and run see the drift', async () => {
    const bucket = await newBucket()
    const file = writeConfig(
      tempDir(),
      `source: { type: postgres, url: "${PG_URL}" }\ndestination: { type: s3, bucket: ${bucket}, ` +
        `endpoint: "${MINIO.endpoint}", access_key_env: RIVET_S3_KEY, secret_key_env: RIVET_S3_SECRET }\n` +
        'state: { type: destination }\nexports:\n  - { name: d, query: "select ${COLS} from rivet_drift" }\n',
    )
    const run = (cols: string, ...more: string[]) =>
      rivet([...more, '-c', file, '-p', `COLS=${cols}`, '--json'], { env: MINIO_ENV })
    expect((await run('id, note', 'run')).code).toBe(0)
    const state = JSON.parse(new TextDecoder().decode(await getObject(bucket, 'd/_rivet/state.json')))
    expect(state.schema.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'note'])
    const check = await run('id', 'check')
    expect(JSON.parse(check.stdout).exports[0].drift).toEqual({
      since: state.schema.run_id,
      changes: ['removed note (string)'],
      refused: true,
    })
    const refused = await run('id', 'run')
    expect(refused.code).toBe(6)
    expect(JSON.parse(refused.stdout).error.message).toContain('removed note (string)')
    expect((await listKeys(bucket)).filter((k) => k.endsWith('.json'))).toHaveLength(2)
  })

  test('continue lets every change through (binary)', async () => {
    const t = setup(', on_schema_drift: continue')
    expect((await t.run('id, note')).code).toBe(0)
    const binary = await rivet(['run', '-c', t.file, '-p', 'COLS=note'], { runtime: 'binary' })
    expect(binary.code).toBe(0)
    expect(JSON.parse(t.state()).schema.columns.map((c: { name: string }) => c.name)).toEqual(['note'])
  })
})
