/**
 * The README's first command, under Bun, Deno and the compiled binary: the sample database is
 * exported to Parquet that DuckDB reads back with the right rows, types and values.
 */
import { Database } from 'bun:sqlite'
import { describe, expect, test } from 'bun:test'
import { cpSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { manifestSchema } from '../../src/pipeline/manifest.ts'
import { rivet, ROOT, type Runtime } from '../helpers/cli.ts'
import { listFiles, tempDir } from '../helpers/files.ts'
import { duck, duckTypes } from '../helpers/parquet.ts'

const runtimes: Runtime[] = ['bun', 'deno', 'binary']

describe.each(runtimes)('quickstart on %s', (runtime) => {
  test('exports the sample database to Parquet with a manifest per export', async () => {
    if (runtime === 'binary') expect(existsSync(join(ROOT, 'dist', 'rivet'))).toBe(true)
    const dir = tempDir()
    cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true })
    const result = await rivet(['run', '-c', 'examples/quickstart.yaml', '--json'], { runtime, cwd: dir })
    expect(result.stderr).not.toContain('"level":"error"')
    expect(result.code).toBe(0)

    const doc = JSON.parse(result.stdout)
    expect(doc.status).toBe('succeeded')
    expect(doc.exports.map((e: { name: string; rows: number }) => [e.name, e.rows])).toEqual([
      ['customers', 200],
      ['products', 50],
      ['orders', 2000],
    ])

    const files = listFiles(join(dir, 'out'))
    expect(files.filter((f) => f.endsWith('.parquet'))).toHaveLength(3)
    expect(files.filter((f) => f.includes('/_rivet/runs/'))).toHaveLength(3)
    expect(files.filter((f) => f.includes('.tmp'))).toEqual([])

    const orders = join(dir, 'out', 'orders')
    const manifestFile = files.find((f) => f.startsWith('orders/_rivet/runs/'))!
    const manifest = manifestSchema.parse(JSON.parse(readFileSync(join(dir, 'out', manifestFile), 'utf8')))
    expect(manifest.rows).toBe(2000)
    expect(manifest.parts).toHaveLength(1)
    expect(manifest.parts[0].path).toMatch(/^orders-\d{8}T\d{6}Z-[0-9a-f]{6}-00000\.parquet$/)

    const parquet = join(orders, manifest.parts[0].path)
    expect(await duckTypes(parquet)).toEqual({
      id: 'BIGINT',
      customer_id: 'BIGINT',
      customer: 'VARCHAR',
      sku: 'VARCHAR',
      quantity: 'BIGINT',
      amount: 'DECIMAL(12,2)',
      status: 'VARCHAR',
      ordered_at: 'TIMESTAMP',
      shipped_on: 'DATE',
      note: 'VARCHAR',
    })
    // Every order row, compared with what SQLite itself holds in the source file.
    const exported = await duck(
      `select o.id::varchar as id, o.amount::varchar as amount,
              strftime(o.ordered_at, '%Y-%m-%d %H:%M:%S.%f') as ordered_at,
              o.shipped_on::varchar as shipped_on, o.note
         from read_parquet('${parquet}') o order by o.id`,
    )
    const db = new Database(join(ROOT, 'examples', 'quickstart.db'), { readonly: true })
    const source = db.query('select id, amount, ordered_at, shipped_on, note from orders order by id')
      .all() as {
        id: number
        amount: number
        ordered_at: string
        shipped_on: string | null
        note: string | null
      }[]
    db.close()
    expect(exported).toEqual(source.map((r) => ({
      id: String(r.id),
      amount: r.amount.toFixed(2),
      ordered_at: r.ordered_at,
      shipped_on: r.shipped_on,
      note: r.note,
    })))
  })
})
