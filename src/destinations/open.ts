/** Opens the destination a config block describes, rooted at one export's directory. */
import { posix } from 'node:path'
import { awsCredentials } from '../auth/aws/chain.ts'
import { configuredRegion } from '../auth/aws/region.ts'
import { azureAccess } from '../auth/azure/chain.ts'
import { gcpCredentials } from '../auth/gcp/chain.ts'
import { AzureBlobClient } from './azure/client.ts'
import { AzureDestination } from './azure/destination.ts'
import { GcsClient } from './gcs/client.ts'
import { GcsDestination } from './gcs/destination.ts'
import { S3Client } from './s3/client.ts'
import { S3Destination } from './s3/destination.ts'
import type { DestinationConfig } from '../config/schema.ts'
import type { Logger } from '../log/logger.ts'
import type { Destination } from './destination.ts'
import { LocalDestination } from './local.ts'
import { StdoutDestination } from './stdout.ts'

/**
 * Default part size, the AWS CLI's. Memory to an object store is the local export's plus
 * (`upload_concurrency` + 1) parts when the store is the slower side: 40 MB with 8 MB parts, which
 * keeps a 10M-row CSV export to MinIO near 150 MB peak RSS (16 MB parts: 188 MB).
 */
export const DEFAULT_PART_SIZE = 8 * 1024 * 1024

/** Values for the `{export}`, `{date}` and `{run_id}` placeholders. */
export interface Placeholders {
  export: string
  date: string
  run_id: string
}

/**
 * Fills placeholders in a path or prefix and appends `<export>/` unless the template already
 * places the export itself.
 */
export function exportRoot(template: string, values: Placeholders): string {
  const filled = template.replace(/\{(export|date|run_id)\}/g, (_, key: keyof Placeholders) => values[key])
  return template.includes('{export}')
    ? posix.normalize(filled).replace(/\/$/, '')
    : posix.join(filled, values.export)
}

/**
 * The destination's base with placeholders still in it: the local `path` (resolved against the
 * config's directory) or the bucket `prefix`; empty for stdout.
 */
export function rootTemplate(config: DestinationConfig, resolvePath: (p: string) => string): string {
  switch (config.type) {
    case 'local':
      return resolvePath(config.path)
    case 'stdout':
      return ''
    default:
      return config.prefix
  }
}

/**
 * The block with its file paths anchored by `resolvePath` (the config file's directory): the
 * destination opens the same files whatever the working directory.
 */
export function anchorPaths(
  config: DestinationConfig,
  resolvePath: (p: string) => string,
): DestinationConfig {
  if (config.type !== 'gcs' || !config.credentials_file) return config
  return { ...config, credentials_file: resolvePath(config.credentials_file) }
}

/** The destination for one export run. */
export function openDestination(
  config: DestinationConfig,
  values: Placeholders,
  resolvePath: (p: string) => string,
  /** Where credential refreshes are logged. */
  logger?: Logger,
): Destination {
  return openDestinationAt(
    anchorPaths(config, resolvePath),
    exportRoot(rootTemplate(config, resolvePath), values),
    logger,
  )
}

/**
 * The destination a config block describes, rooted at `root` (a directory or key prefix with
 * placeholders filled): `validate` roots one above the placeholders to look for runs. File
 * paths in `config` must be anchored already (see {@link anchorPaths}).
 */
export function openDestinationAt(
  config: DestinationConfig,
  root: string,
  /** Where credential refreshes are logged. */
  logger?: Logger,
): Destination {
  switch (config.type) {
    case 'local':
      return new LocalDestination(root)
    case 'stdout':
      return new StdoutDestination()
    case 's3': {
      const region = configuredRegion(config)
      const client = new S3Client(
        {
          endpoint: config.endpoint,
          region: region && { name: region.region, from: region.from },
          bucket: config.bucket,
          pathStyle: config.path_style ?? config.endpoint !== undefined,
        },
        awsCredentials(config, `destination s3://${config.bucket}`, {
          region: region?.region ?? 'us-east-1',
          logger,
        }),
        logger,
      )
      return new S3Destination(client, root, {
        partSize: config.part_size ?? DEFAULT_PART_SIZE,
        concurrency: config.upload_concurrency ?? 4,
      })
    }
    case 'gcs': {
      const client = new GcsClient(
        { endpoint: config.endpoint ?? 'https://storage.googleapis.com', bucket: config.bucket },
        gcpCredentials(config, `destination gs://${config.bucket}`, { logger }),
      )
      return new GcsDestination(client, root, config.part_size ?? DEFAULT_PART_SIZE)
    }
    case 'azure': {
      const container = (config.container ?? config.bucket)!
      const { account, endpoint, credentials } = azureAccess(
        config,
        `destination azure container ${container}`,
        logger,
      )
      const client = new AzureBlobClient({ endpoint, account, container }, credentials)
      return new AzureDestination(client, root, {
        partSize: config.part_size ?? DEFAULT_PART_SIZE,
        concurrency: config.upload_concurrency ?? 4,
      })
    }
  }
}
