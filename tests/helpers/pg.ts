/** The test PostgreSQL on 127.0.0.1:5432 (trust auth), for setting up tables. */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import postgres from 'postgres'

/** Connection URL of the test database. */
export const PG_URL = process.env.RIVET_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

/** The test database as a source connection: plain TCP, so PostgreSQL reads go through the COPY tap. */
export const PG_CONNECTION = {
  host: '127.0.0.1',
  port: 5432,
  user: 'postgres',
  database: 'test',
  tls: 'disable',
  target: '127.0.0.1:5432/test',
} as const

/** Rows of a query against the test database, through postgres.js (not rivet). */
export async function pgRows(sql: string): Promise<Record<string, unknown>[]> {
  const client = postgres(PG_URL, { max: 1, onnotice: () => {} })
  try {
    return [...await client.unsafe(sql)]
  } finally {
    await client.end()
  }
}

/** Runs SQL (several statements allowed) against the test database. */
export async function pgExec(sql: string): Promise<void> {
  const client = postgres(PG_URL, { max: 1, onnotice: () => {} })
  try {
    await client.unsafe(sql).simple()
  } finally {
    await client.end()
  }
}

/**
 * A config in a new temporary directory exporting from the test PostgreSQL to `<dir>/out`;
 * `rest` holds the lines after the destination (exports, notifications, metrics ...).
 */
export function pgToLocal(rest: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'rivet-test-'))
  const file = join(dir, 'rivet.yaml')
  writeFileSync(
    file,
    `source: { type: postgres, url: "${PG_URL}" }\ndestination: { type: local, path: ${
      join(dir, 'out')
    } }\n${rest}`,
  )
  return { dir, file }
}
