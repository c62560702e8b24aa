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
    case 'sqlite': {
      const { SqliteSource } = await import('./sqlite.ts')
      return SqliteSource.open(resolvePath(config.path))
    }
  }
}
