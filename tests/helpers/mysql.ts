/** The test MariaDB on 127.0.0.1:3306 (root, no password), for setting up tables. */
import mysql from 'mysql2/promise'

/** Connection URL of the test database. */
export const MYSQL_URL = process.env.RIVET_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test'

/**
 * Runs SQL (several statements allowed) against the test database. `timeZone` sets the
 * session time zone first, e.g. `+05:30`, to check that TIMESTAMP values are stored as instants.
 */
export async function mysqlExec(sql: string, options: { timeZone?: string } = {}): Promise<void> {
  const connection = await mysql.createConnection({
    uri: MYSQL_URL,
    multipleStatements: true,
    charset: 'utf8mb4_unicode_ci',
  })
  try {
    if (options.timeZone) await connection.query(`set time_zone = '${options.timeZone}'`)
    await connection.query(sql)
  } finally {
    await connection.end()
  }
}
