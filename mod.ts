/**
 * rivet: export tables and queries from PostgreSQL, MySQL/MariaDB, SQL Server and SQLite to
 * Parquet or CSV on local disk, S3, GCS or Azure Blob Storage. Run as a CLI (`bun mod.ts run -c rivet.yaml`, `deno run -A mod.ts ...`) or import the
 * pieces below to build on them.
 *
 * @module
 */
export { main } from './src/cli/main.ts'
export { loadConfig, type LoadedConfig, parseConfig } from './src/config/load.ts'
export { type Config, configJsonSchema } from './src/config/schema.ts'
export { Exit, RivetError } from './src/errors.ts'
export { Secret } from './src/log/secret.ts'
export type { Destination } from './src/destinations/destination.ts'
export type { Format, FormatEncoder } from './src/formats/format.ts'
export type { Manifest } from './src/pipeline/manifest.ts'
export type { Source } from './src/sources/source.ts'
export type { Column, OutputType } from './src/types/output.ts'
export type { ColumnBatch, Value } from './src/types/values.ts'
export { VERSION } from './src/version.ts'

if (import.meta.main) await import('./src/cli/bin.ts')
