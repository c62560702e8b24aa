/**
 * Successful and interrupted runs through the CLI: part rolling with checksums, stdout, dry
 * runs, a failure after parts were already written, and Ctrl-C. A failed or interrupted run
 * leaves nothing behind.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { runDocumentSchema } from '../../src/cli/documents.ts'
import { manifestSchema } from '../../src/pipeline/manifest.ts'
import { errorLines, rivet, ROOT } from '../helpers/cli.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { duck } from '../helpers/parquet.ts'
import { pgExec } from '../helpers/pg.ts'

const PG = 'postgres://postgres@127.0.0.1:5432/test'

beforeAll(async () => {
  await pgExec(`
    drop table if exists rivet_e2e_rows;
    create table rivet_e2e_rows (id bigint primary key, label text not null, amount numeric(12,2));
    insert into rivet_e2e_rows
      select i, 'label ' || i || repeat('x', i % 50), case when i % 7 = 0 then null else i * 0.01 end
        from generate_series(1, 200000) i;
  `)
})

function config(dir: string, exports: string): string {
  return writeConfig(
    dir,
    `source:\n  type: postgres\n  url: ${PG}\ndestination:\n  type: local\n  path: ${
      join(dir, 'out')
    }\nexports:\n${exports}`,
  )
}

function manifestOf(dir: string, name: string) {
  const file = listFiles(join(dir, 'out', name)).find((f) => f.startsWith('_rivet/runs/'))!
  return manifestSchema.parse(JSON.parse(readFileSync(join(dir, 'out', name, file), 'utf8')))
}

describe('run', () => {
  test('max_file_size rolls parts; every part reads back and matches its manifest entry', async () => {
    const dir = tempDir()
    const file = config(
      dir,
      `  - name: rows\n    table: rivet_e2e_rows\n    max_file_size: 200KB\n    row_group_size: 20000\n`,
    )
    const result = await rivet(['run', '-c', file, '--json'])
    expect(result.code).toBe(0)
    const doc = runDocumentSchema.parse(JSON.parse(result.stdout))
    const manifest = manifestOf(dir, 'rows')
    expect(doc.exports[0]).toMatchObject({ name: 'rows', rows: 200000, parts: manifest.parts.length })
    expect(manifest.parts.length).toBeGreaterThan(2)
    expect(manifest.rows).toBe(200000)
    let rows = 0
    for (const part of manifest.parts) {
      const bytes = readFileSync(join(dir, 'out', 'rows', part.path))
      expect(bytes.length).toBe(part.bytes)
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(part.sha256)
      const [{ n }] = await duck(
        `select count(*)::int as n from read_parquet('${join(dir, 'out', 'rows', part.path)}')`,
      )
      expect(n).toBe(part.rows)
      rows += part.rows
    }
    expect(rows).toBe(200000)
    const [agg] = await duck(
      `select count(*)::int as n, count(distinct id)::int as ids, sum(amount)::varchar as total, count(amount)::int as amounts
         from read_parquet('${join(dir, 'out', 'rows')}/*.parquet')`,
    )
    // sum of i*0.01 for i not divisible by 7, computed exactly.
    let cents = 0n
    for (let i = 1n; i <= 200000n; i++) if (i % 7n !== 0n) cents += i
    expect(agg).toEqual({
      n: 200000,
      ids: 200000,
      total: `${cents / 100n}.${String(cents % 100n).padStart(2, '0')}`,
      amounts: 200000 - Math.floor(200000 / 7),
    })
  })

  test('password_env logs in; the password shows nowhere, even at debug level', async () => {
    const dir = tempDir()
    const file = writeConfig(
      dir,
      `source:\n  type: postgres\n  host: 127.0.0.1\n  user: rivet_pw\n  database: test\n  password_env: RIVET_TEST_PW\n` +
        `destination: { type: local, path: ${
          join(dir, 'out')
        } }\nexports:\n  - name: one\n    query: select 1 as x\n`,
    )
    const result = await rivet(['run', '-c', file, '--json', '--log-level', 'debug'], {
      env: { RIVET_TEST_PW: 'rivet-test-password' },
    })
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).exports[0].rows).toBe(1)
    expect(result.stdout + result.stderr).not.toContain('rivet-test-password')
  })

  test('CSV to stdout carries exactly the data', async () => {
    const dir = tempDir()
    const file = writeConfig(
      dir,
      `source:\n  type: postgres\n  url: ${PG}\ndestination:\n  type: stdout\nexports:\n  - name: few\n    format: csv\n    query: select id, label, amount from rivet_e2e_rows where id in (6, 7, 8) order by id\n`,
    )
    const result = await rivet(['run', '-c', file])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe(
      'id,label,amount\r\n6,label 6xxxxxx,0.06\r\n7,label 7xxxxxxx,\r\n8,label 8xxxxxxxx,0.08\r\n',
    )
    const json = await rivet(['run', '-c', file, '--json'])
    expect(json.code).toBe(2)
    expect(errorLines(json.stderr)[0].msg).toContain('writes to stdout, which must then carry nothing else')
  })

  test('--dry-run plans and writes nothing', async () => {
    const dir = tempDir()
    const file = config(dir, `  - name: rows\n    table: rivet_e2e_rows\n`)
    const result = await rivet(['run', '-c', file, '--dry-run', '--json'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual({
      rivet_version: expect.any(String),
      status: 'dry-run',
      exports: [{
        name: 'rows',
        query: 'select * from "rivet_e2e_rows"',
        format: 'parquet',
        compression: 'zstd',
        columns: [
          { name: 'id', source_type: 'bigint', output_type: 'int64' },
          { name: 'label', source_type: 'text', output_type: 'string' },
          { name: 'amount', source_type: 'numeric(12,2)', output_type: 'decimal(12,2)' },
        ],
      }],
    })
    expect(listFiles(dir)).toEqual(['rivet.yaml'])
  })

  test('a failure after parts were written removes them and writes no manifest', async () => {
    const dir = tempDir()
    const file = config(
      dir,
      `  - name: breaks\n    format: csv\n    max_file_size: 64KB\n    query: select i, case when i = 150000 then 1 / (i - i) else i end as v from generate_series(1, 200000) i\n`,
    )
    const result = await rivet(['run', '-c', file])
    expect(result.code).toBe(3)
    expect(errorLines(result.stderr)[0].msg).toMatch(/division by zero/)
    expect(listFiles(dir)).toEqual(['rivet.yaml'])
  })

  test('Ctrl-C stops the run with exit 130 and leaves nothing', async () => {
    const dir = tempDir()
    const file = config(
      dir,
      `  - name: long\n    format: csv\n    max_file_size: 256KB\n    query: select a * 100000 + b as i, repeat('x', 100) as pad from generate_series(1, 100000) a, generate_series(1, 100000) b\n`,
    )
    const child = spawn(process.execPath, [join(ROOT, 'mod.ts'), 'run', '-c', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => stderr += d)
    // Wait until parts are being committed, then interrupt.
    const deadline = Date.now() + 20000
    while (
      listFiles(join(dir, 'out')).filter((f) => f.endsWith('.csv')).length < 2 && Date.now() < deadline
    ) {
      await Bun.sleep(100)
    }
    expect(listFiles(join(dir, 'out')).filter((f) => f.endsWith('.csv')).length).toBeGreaterThanOrEqual(2)
    const interruptedAt = Date.now()
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code).toBe(130)
    // Generous for a loaded 2-core machine; a hang would take the whole 30 s.
    expect(Date.now() - interruptedAt).toBeLessThan(15000)
    expect(errorLines(stderr)[0]).toMatchObject({ code: 'INTERRUPTED', exit: 130 })
    expect(listFiles(dir)).toEqual(['rivet.yaml'])
  }, 30000)
})
