/** Opens the source a config block describes. Engines load their driver only when used. */
import type { SourceConfig } from '../config/schema.ts'
import { resolveServerConnection } from './connection.ts'
import type { Source } from './source.ts'

/** Connects to the configured source. `resolvePath` anchors relative paths at the config file. */
export async function openSource(config: SourceConfig, resolvePath: (p: string) => string): Promise<Source> {
  switch (config.type) {
    case 'postgres': {
      const conn = resolveServerConnection(config, {
        schemes: ['postgres', 'postgresql'],
        defaultPort: 5432,
        resolvePath,
      })
      const { PostgresSource } = await import('./postgres/source.ts')
      return new PostgresSource(conn)
    }
    case 'mysql': {
      const conn = resolveServerConnection(config, {
        schemes: ['mysql', 'mariadb'],
        defaultPort: 3306,
        resolvePath,
      })
      const { MysqlSource } = await import('./mysql/source.ts')
      return new MysqlSource(conn)
    }
    case 'sqlserver': {
      const conn = resolveServerConnection(config, {
        schemes: ['sqlserver', 'mssql'],
        defaultPort: 1433,
        resolvePath,
      })
      const { SqlServerSource } = await import('./sqlserver/source.ts')
      return new SqlServerSource(conn)
    }
    case 'sqlite': {
      const { SqliteSource } = await import('./sqlite.ts')
      return SqliteSource.open(resolvePath(config.path))
    }
  }
}
