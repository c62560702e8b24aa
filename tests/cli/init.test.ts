/** `rivet init` writes a config that runs as written, from PostgreSQL and from SQLite. */
import { beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseConfig } from '../../src/config/load.ts'
import { errorLines, rivet, ROOT } from '../helpers/cli.ts'
import { tempDir } from '../helpers/files.ts'
import { pgExec } from '../helpers/pg.ts'

beforeAll(async () => {
  await pgExec(`
    drop schema if exists rivet_init cascade;
    create schema rivet_init;
    create table rivet_init.prices (id int primary key, price numeric, note timetz, ok numeric(5,1));
    insert into rivet_init.prices values (1, 12.125, '10:00+02', 1.5), (2, null, null, null);
  `)
})

describe('init', () => {
  test('from PostgreSQL: overrides filled in, no password written, and the config runs', async () => {
    const dir = tempDir()
    const file = join(dir, 'rivet.yaml')
    const init = await rivet([
      'init',
      '--source',
      'postgres://postgres:hunter2-planted@127.0.0.1:5432/test',
      '--table',
      'rivet_init.prices',
      '-o',
      file,
    ])
    expect(init.code).toBe(0)
    const text = readFileSync(file, 'utf8')
    expect(text).not.toContain('hunter2-planted')
    expect(text).toContain('password_env: RIVET_SOURCE_PASSWORD')
    const { config } = parseConfig(text, file, () => undefined)
    expect(config.exports).toEqual([expect.objectContaining({
      name: 'rivet_init_prices',
      table: 'rivet_init.prices',
      columns: { price: 'decimal(38,9)', note: 'string' },
    })])

    const run = await rivet(['run', '-c', file, '--json'], {
      env: { RIVET_SOURCE_PASSWORD: 'unused-under-trust' },
      cwd: dir,
    })
    expect(run.stderr).not.toContain('"level":"error"')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout).exports[0].rows).toBe(2)

    const again = await rivet([
      'init',
      '--source',
      'postgres://postgres@127.0.0.1:5432/test',
      '-t',
      'rivet_init.prices',
      '-o',
      file,
    ])
    expect(again.code).toBe(2)
    expect(errorLines(again.stderr)[0].msg).toBe(
      `init: ${file} already exists; remove it or choose another -o`,
    )
  })

  test('from --source-env: the config names the variable, not the URL', async () => {
    const result = await rivet(['init', '--source-env', 'RIVET_TEST_DB', '-t', 'rivet_init.prices'], {
      env: { RIVET_TEST_DB: 'postgres://postgres:hunter2-planted@127.0.0.1:5432/test' },
    })
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('  url_env: RIVET_TEST_DB\n')
    expect(result.stdout).not.toContain('hunter2-planted')
  })

  test('from SQLite: every table, with the path relative to the written file', async () => {
    const dir = tempDir()
    const file = join(dir, 'shop.yaml')
    const init = await rivet(['init', '--source', join(ROOT, 'examples', 'quickstart.db'), '-o', file])
    expect(init.code).toBe(0)
    const { config } = parseConfig(readFileSync(file, 'utf8'), file, () => undefined)
    expect(config.exports.map((e) => e.name)).toEqual(['customers', 'orders', 'products'])
    const run = await rivet(['run', '-c', file, '--json'], { cwd: dir })
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout).exports.map((e: { rows: number }) => e.rows)).toEqual([200, 2000, 50])
  })
})
