/**
 * The quickstart's output, checked against its source: each export's rows, read by DuckDB and
 * folded into one text per export, equal what SQLite holds in examples/quickstart.db. For runs
 * of a built artifact (under QEMU, inside the assembled image) where tests/e2e/quickstart.test.ts
 * does not reach.
 */
import { Database } from 'bun:sqlite'
import { expect } from 'bun:test'
import { join } from 'node:path'
import { ROOT } from '../helpers/cli.ts'
import { listFiles } from '../helpers/files.ts'
import { duck } from '../helpers/parquet.ts'

/** Per export: the row text DuckDB folds from the Parquet file, and SQLite's from the source. */
const FOLDS = {
  customers: {
    duck: `id || '|' || name || '|' || coalesce(email, '-') || '|' || is_active`,
    sqlite: `select id || '|' || name || '|' || coalesce(email, '-') || '|' ||
                    (case when is_active then 'true' else 'false' end) as row from customers order by id`,
  },
  products: {
    duck: `id || '|' || sku || '|' || price::varchar || '|' || coalesce(released_on::varchar, '-')`,
    sqlite:
      `select id || '|' || sku || '|' || printf('%.2f', price) || '|' || coalesce(released_on, '-') as row
               from products order by id`,
  },
  orders: {
    duck: `id || '|' || customer || '|' || amount::varchar || '|' ||
           strftime(ordered_at, '%Y-%m-%d %H:%M:%S.%f') || '|' || coalesce(note, '-')`,
    sqlite: `select o.id || '|' || c.name || '|' || printf('%.2f', o.amount) || '|' || o.ordered_at || '|' ||
                    coalesce(o.note, '-') as row
               from orders o join customers c on c.id = o.customer_id order by o.id`,
  },
}

/** Checks the three Parquet files of a quickstart run under `out` against the source database. */
export async function expectQuickstartOutput(out: string): Promise<void> {
  const parquet = listFiles(out).filter((f) => f.endsWith('.parquet'))
  expect(parquet.map((f) => f.split('/')[0]).sort()).toEqual(['customers', 'orders', 'products'])
  const db = new Database(join(ROOT, 'examples', 'quickstart.db'), { readonly: true })
  try {
    for (const [name, fold] of Object.entries(FOLDS)) {
      const file = join(out, parquet.find((f) => f.startsWith(`${name}/`))!)
      const [exported] = await duck(
        `select count(*)::int as n, string_agg(${fold.duck}, '\n' order by id) as rows from read_parquet('${file}')`,
      )
      const source = (db.query(fold.sqlite).all() as { row: string }[]).map((r) => r.row)
      expect({ name, n: exported.n, rows: exported.rows }).toEqual({
        name,
        n: source.length,
        rows: source.join('\n'),
      })
    }
  } finally {
    db.close()
  }
}
