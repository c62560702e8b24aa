/**
 * SQLite, the embedded default source: `bun:sqlite` on Bun and `node:sqlite` on Deno, behind
 * one small interface. Integers come back as bigint so values beyond 2^53 stay exact.
 */

/** A column of a prepared statement: its name and declared type (null for expressions). */
export interface SqliteColumn {
  name: string
  declaredType: string | null
}

/** A value as SQLite stores it. */
export type SqliteValue = bigint | number | string | Uint8Array | null

/** A read-only database handle. */
export interface SqliteDatabase {
  /** Columns a query returns, without running it. */
  columns(sql: string): SqliteColumn[]
  /** Rows of a query as arrays, one at a time; `params` bind its `?` placeholders in order. */
  iterate(sql: string, params?: string[]): IterableIterator<SqliteValue[]>
  close(): void
}

interface BunStatement {
  columnNames: string[]
  declaredTypes: (string | null)[]
  values(): SqliteValue[][]
  iterate(...params: string[]): IterableIterator<Record<string, SqliteValue>>
  finalize(): void
}
interface BunDatabase {
  prepare(sql: string): BunStatement
  close(): void
}
interface NodeStatement {
  columns(): { name: string; type: string | null }[]
  setReadBigInts(on: boolean): void
  setReturnArrays?(on: boolean): void
  iterate(...params: string[]): IterableIterator<Record<string, SqliteValue> | SqliteValue[]>
}
interface NodeDatabase {
  prepare(sql: string): NodeStatement
  close(): void
}

/** Opens a database file read-only. Throws the driver's error if it cannot. */
export async function openSqlite(path: string): Promise<SqliteDatabase> {
  if ((globalThis as { Bun?: unknown }).Bun) {
    const { Database } = await import('bun:sqlite' as string) as {
      Database: new (path: string, options: object) => BunDatabase
    }
    const db = new Database(path, { readonly: true, safeIntegers: true, strict: true })
    return {
      columns(sql) {
        const stmt = db.prepare(sql)
        const names = stmt.columnNames
        const types = stmt.declaredTypes ?? []
        stmt.finalize()
        return names.map((name, i) => ({ name, declaredType: types[i] ?? null }))
      },
      *iterate(sql, params = []) {
        const stmt = db.prepare(sql)
        const names = stmt.columnNames
        for (const row of stmt.iterate(...params)) yield names.map((n) => row[n])
      },
      close: () => db.close(),
    }
  }
  const { DatabaseSync } = await import('node:sqlite' as string) as {
    DatabaseSync: new (path: string, options: object) => NodeDatabase
  }
  const db = new DatabaseSync(path, { readOnly: true })
  return {
    columns(sql) {
      return db.prepare(sql).columns().map((c) => ({ name: c.name, declaredType: c.type }))
    },
    *iterate(sql, params = []) {
      const stmt = db.prepare(sql)
      stmt.setReadBigInts(true)
      const names = stmt.columns().map((c) => c.name)
      for (const row of stmt.iterate(...params)) {
        yield Array.isArray(row) ? row : names.map((n) => (row as Record<string, SqliteValue>)[n])
      }
    },
    close: () => db.close(),
  }
}
