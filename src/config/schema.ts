/**
 * The config file's shape. This schema validates every file rivet loads and is printed by
 * `rivet schema` as JSON Schema for editors. Objects are strict: an unknown key is an error.
 */
import { z } from 'zod'
import { DURATION_PATTERN, durationInSeconds, SIZE_PATTERN, sizeInBytes } from './units.ts'

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be the name of an environment variable')

const size = z.union([
  z.string().regex(SIZE_PATTERN, 'must be a size such as 256MB'),
  z.number().int().positive(),
])
  .transform(sizeInBytes)
  .describe('a size such as 256MB (KB/MB/GB are powers of 1024) or a number of bytes')

const duration = z.union([
  z.string().regex(DURATION_PATTERN, 'must be a duration such as 900s, 45m or 1h'),
  z.number().int().positive(),
])
  .transform(durationInSeconds)
  .describe('a duration such as 900s, 45m or 1h, or a number of seconds')

/** A Parquet row group target: bytes for a size, rows for a plain number. */
const rowGroupSize = z.union([
  z.string().regex(SIZE_PATTERN, 'must be a size such as 64MB, or a number of rows')
    .transform((text) => ({ bytes: sizeInBytes(text) })),
  z.number().int().positive().transform((rows) => ({ rows })),
])

const tls = z.strictObject({
  mode: z.enum(['disable', 'require', 'verify-ca', 'verify-full'])
    .describe(
      'disable: plain; require: encrypted, unverified; verify-ca: CA checked; verify-full: CA and host name checked',
    ),
  ca_file: z.string().optional().describe('PEM file with the CA certificate(s) to trust'),
})

const serverConnection = {
  url: z.string().optional().describe('connection URL without a password, e.g. postgres://user@host:5432/db'),
  url_env: envName.optional().describe(
    'environment variable holding the connection URL (may include a password)',
  ),
  host: z.string().optional().describe('server host name or address (instead of url)'),
  port: z.number().int().min(1).max(65535).optional().describe(
    "server port, default the engine's (5432, 3306, 1433)",
  ),
  user: z.string().optional().describe('user name to sign in with'),
  database: z.string().optional().describe('database to connect to'),
  password_env: envName.optional().describe('environment variable holding the password'),
  tls: tls.optional().describe('TLS to the server; without it the driver default'),
}

const postgresSource = z.strictObject({
  type: z.literal('postgres'),
  ...serverConnection,
})

const mysqlSource = z.strictObject({
  type: z.literal('mysql').describe('MySQL and MariaDB'),
  ...serverConnection,
})

const sqlserverSource = z.strictObject({
  type: z.literal('sqlserver'),
  ...serverConnection,
})

const sqliteSource = z.strictObject({
  type: z.literal('sqlite'),
  path: z.string().describe('database file, relative to the config file'),
})

/** Where rows come from. */
export const sourceSchema = z.discriminatedUnion('type', [
  postgresSource,
  mysqlSource,
  sqlserverSource,
  sqliteSource,
])

const localDestination = z.strictObject({
  type: z.literal('local'),
  path: z.string().describe(
    'output directory, relative to the config file; placeholders {export} {date} {run_id}',
  ),
})

const stdoutDestination = z.strictObject({
  type: z.literal('stdout'),
})

const s3Destination = z.strictObject({
  type: z.literal('s3').describe('Amazon S3 or any S3-compatible store (MinIO, R2, Wasabi, B2, ...)'),
  bucket: z.string().min(1).describe('bucket name'),
  prefix: z.string().default('').describe('key prefix; placeholders {export} {date} {run_id}'),
  region: z.string().optional().describe(
    "region requests are signed for; default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, " +
      "else the bucket's own region from S3's first answer",
  ),
  endpoint: z.url().optional().describe(
    'S3 API endpoint for S3-compatible stores, e.g. http://127.0.0.1:9000',
  ),
  path_style: z.boolean().optional().describe(
    'bucket in the path instead of the host name; default true with endpoint',
  ),
  access_key_env: envName.optional().describe('environment variable holding the access key id'),
  secret_key_env: envName.optional().describe('environment variable holding the secret access key'),
  session_token_env: envName.optional().describe(
    'environment variable holding the session token (ASIA... keys)',
  ),
  aws_profile: z.string().min(1).optional().describe(
    'profile from ~/.aws/config and ~/.aws/credentials (keys, credential_process, role, SSO)',
  ),
  role_arn: z.string().regex(
    /^arn:[^:]+:iam::/,
    'must be an IAM role ARN (arn:aws:iam::<account>:role/<name>)',
  )
    .optional().describe('assume this role on top of the base credentials (refreshed before it expires)'),
  external_id_env: envName.optional().describe(
    'environment variable holding the external id role_arn requires',
  ),
  role_session_name: z.string().regex(/^[\w+=,.@-]{2,64}$/, 'must be 2-64 of letters, digits and +=,.@_-')
    .optional().describe('session name of the assumed role, default rivet-<time>'),
  role_duration: duration.pipe(
    z.number().min(900, 'must be between 15 minutes and 12 hours (STS limits)').max(
      43_200,
      'must be between 15 minutes and 12 hours (STS limits)',
    ),
  ).optional().describe('lifetime of each assumed-role session, 15m to 12h, default 1h'),
  part_size: size.optional().describe('multipart part size, default 8MB (grows past 1,000 parts)'),
  upload_concurrency: z.number().int().min(1).max(64).optional().describe(
    'parts uploaded at once, default 4',
  ),
}).superRefine((block, ctx) => {
  // Each of these names one way to get credentials; two at once would leave one silently unused.
  const conflict = (a: keyof typeof block, b: keyof typeof block, message: string) => {
    if (block[a] !== undefined && block[b] !== undefined) {
      ctx.addIssue({ code: 'custom', path: [b], message: `${a} and ${b} conflict: ${message}` })
    }
  }
  const needs = (a: keyof typeof block, b: keyof typeof block) => {
    if (block[a] !== undefined && block[b] === undefined) {
      ctx.addIssue({ code: 'custom', path: [a], message: `${a} needs ${b}` })
    }
  }
  conflict('aws_profile', 'access_key_env', 'give a profile or keys, not both')
  conflict('aws_profile', 'secret_key_env', 'give a profile or keys, not both')
  conflict('aws_profile', 'session_token_env', 'the profile brings its own session token')
  needs('access_key_env', 'secret_key_env')
  needs('secret_key_env', 'access_key_env')
  needs('session_token_env', 'access_key_env')
  needs('external_id_env', 'role_arn')
  needs('role_session_name', 'role_arn')
  needs('role_duration', 'role_arn')
})

const gcsDestination = z.strictObject({
  type: z.literal('gcs').describe('Google Cloud Storage (or an emulator such as fake-gcs-server)'),
  bucket: z.string().min(1).describe('bucket name'),
  prefix: z.string().default('').describe('object name prefix; placeholders {export} {date} {run_id}'),
  endpoint: z.url().optional().describe('JSON API endpoint, default https://storage.googleapis.com'),
  credentials_file: z.string().min(1).optional().describe(
    'Google credential JSON (service_account, authorized_user, external_account), relative to the config file; ' +
      'default: GOOGLE_APPLICATION_CREDENTIALS, then gcloud ADC, then the metadata server',
  ),
  impersonate_service_account: z.email().optional().describe(
    'act as this service account (IAM Credentials generateAccessToken) with the credential found',
  ),
  allow_anonymous: z.boolean().optional().describe(
    'send no credentials (emulators, public buckets); turns every credential source off',
  ),
  part_size: size.optional().describe(
    'resumable upload chunk size, default 8MB (rounded up to a multiple of 256KiB)',
  ),
}).superRefine((block, ctx) => {
  for (const key of ['credentials_file', 'impersonate_service_account'] as const) {
    if (block.allow_anonymous && block[key] !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: `allow_anonymous and ${key} conflict: anonymous requests use no credentials`,
      })
    }
  }
})

const azureDestination = z.strictObject({
  type: z.literal('azure').describe('Azure Blob Storage (or Azurite)'),
  container: z.string().min(1).optional().describe('blob container name'),
  bucket: z.string().min(1).optional().describe('alias of container'),
  prefix: z.string().default('').describe('blob name prefix; placeholders {export} {date} {run_id}'),
  account_name: z.string().min(1).optional().describe(
    'storage account name (required unless connection_string_env names it)',
  ),
  account_key_env: envName.optional().describe('environment variable holding the account key (SharedKey)'),
  sas_token_env: envName.optional().describe('environment variable holding a SAS token (leading ? allowed)'),
  connection_string_env: envName.optional().describe(
    'environment variable holding a connection string (AccountKey or SharedAccessSignature; ' +
      'UseDevelopmentStorage=true for Azurite)',
  ),
  tenant_id: z.string().min(1).optional().describe('service principal: directory (tenant) id'),
  client_id: z.string().min(1).optional().describe(
    'service principal: application (client) id; with managed_identity: a user-assigned identity',
  ),
  client_secret_env: envName.optional().describe(
    'service principal: environment variable holding the client secret',
  ),
  managed_identity: z.boolean().optional().describe(
    'use the managed identity (instance metadata, or App Service IDENTITY_ENDPOINT)',
  ),
  allow_anonymous: z.boolean().optional().describe(
    'send no credentials (Azurite, public containers); with no credential setting at all: ' +
      'AZURE_CLIENT_SECRET service principal, workload identity, then managed identity',
  ),
  endpoint: z.url().optional().describe(
    'blob endpoint, default https://<account>.blob.core.windows.net; Azurite: http://127.0.0.1:10000/<account>',
  ),
  part_size: size.optional().describe('block size, default 8MB (grows past 5,000 blocks)'),
  upload_concurrency: z.number().int().min(1).max(64).optional().describe(
    'blocks uploaded at once, default 4',
  ),
}).superRefine((block, ctx) => {
  if (Boolean(block.container) === Boolean(block.bucket)) {
    ctx.addIssue({ code: 'custom', path: ['container'], message: 'give exactly one of container or bucket' })
  }
  if (!block.account_name && !block.connection_string_env) {
    ctx.addIssue({
      code: 'custom',
      path: ['account_name'],
      message: 'account_name is required unless connection_string_env names the account',
    })
  }
  // One way to sign in: the first key given of each kind that is set.
  const kinds = [
    ['allow_anonymous'],
    ['account_key_env'],
    ['sas_token_env'],
    ['connection_string_env'],
    ['client_secret_env', 'tenant_id'],
    ['managed_identity'],
  ] as const
  const given = kinds.map((keys) => keys.find((key) => block[key] !== undefined && block[key] !== false))
    .filter((key) => key !== undefined)
  if (given.length > 1) {
    ctx.addIssue({
      code: 'custom',
      path: [given[1]],
      message: `${given[0]} and ${given[1]} conflict: give one credential`,
    })
  }
  const principal = ['tenant_id', 'client_id', 'client_secret_env'] as const
  if ((block.client_secret_env || block.tenant_id) && principal.some((key) => !block[key])) {
    ctx.addIssue({
      code: 'custom',
      path: [principal.find((key) => !block[key])!],
      message: 'a service principal needs tenant_id, client_id and client_secret_env',
    })
  }
  if (block.client_id && !block.client_secret_env && !block.managed_identity) {
    ctx.addIssue({
      code: 'custom',
      path: ['client_id'],
      message:
        'client_id goes with client_secret_env (service principal) or managed_identity (user-assigned)',
    })
  }
})

/** Where files go. */
export const destinationSchema = z.discriminatedUnion('type', [
  localDestination,
  stdoutDestination,
  s3Destination,
  gcsDestination,
  azureDestination,
])

const qualitySchema = z.strictObject({
  row_count_min: z.number().int().nonnegative().optional().describe('fail when the run exports fewer rows'),
  row_count_max: z.number().int().nonnegative().optional().describe('fail when the run exports more rows'),
  null_ratio_max: z.record(z.string(), z.number().min(0).max(1)).optional()
    .describe('column -> largest share of NULLs allowed, 0..1, e.g. { email: 0.1 }'),
  unique_columns: z.array(z.string()).min(1).optional()
    .describe('columns whose non-NULL values must each be unique within the run'),
}).refine(
  (q) => q.row_count_min === undefined || q.row_count_max === undefined || q.row_count_min <= q.row_count_max,
  {
    path: ['row_count_min'],
    message: 'row_count_min is larger than row_count_max',
  },
)

const onSchemaDrift = z.enum(['fail', 'warn', 'continue'])

/** The columns `meta_columns` may append (src/pipeline/meta.ts). */
export const META_COLUMN_NAMES = ['exported_at', 'run_id', 'row_hash'] as const

const exportSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, _ and -')
    .describe('unique name of the export: its directory, file names, state and -e NAME'),
  table: z.string().optional().describe('schema.table to export whole'),
  query: z.string().optional().describe('a SELECT to export'),
  query_file: z.string().optional().describe('file holding the SELECT, relative to the config file'),
  mode: z.enum(['full', 'incremental', 'chunked', 'time_window', 'cdc']).default('full').describe(
    'full: every row; incremental: rows past the last cursor; chunked: ranges of chunk_column in parallel, ' +
      'resumable; time_window: the last days_window days of time_column; cdc: the changes to table from the ' +
      "database's change log (PostgreSQL logical replication), after a first snapshot",
  ),
  cursor_column: z.string().min(1).optional().describe(
    'incremental: the column that grows with every change (updated_at, an id)',
  ),
  chunk_column: z.string().min(1).optional().describe('chunked: an integer or date column to split on'),
  chunk_max_attempts: z.number().int().min(1).max(10).optional().describe(
    'chunked: tries of a chunk whose source connection is lost, each on a new connection after 1, 2, 4 s (default 3)',
  ),
  chunk_size: z.number().int().positive().optional().describe(
    'chunked: values of chunk_column per chunk (days for a date column)',
  ),
  parallel: z.number().int().min(1).max(64).optional().describe(
    'chunked: chunks read at once, each on its own connection (default 1)',
  ),
  time_column: z.string().min(1).optional().describe('time_window: a date or timestamp column'),
  days_window: z.number().int().positive().optional().describe('time_window: how many days back to export'),
  slot: z.string().regex(/^[a-z0-9_]{1,63}$/, 'may contain only a-z, 0-9 and _, at most 63').optional()
    .describe(
      'cdc: the replication slot to create and read (default rivet_<name>, lowercased, - as _)',
    ),
  publication: z.string().min(1).optional().describe(
    'cdc: the publication of table to create or use (default: the slot name)',
  ),
  max_slot_lag: size.optional().describe(
    'cdc: warn at every run when the slot keeps more change log than this on the server (default 1GB)',
  ),
  rollover: duration.optional().describe(
    'cdc with rivet run --follow: how often to commit what was read (parts, manifest, position); default 5m',
  ),
  format: z.enum(['parquet', 'csv']).default('parquet').describe('output file format'),
  compression: z.enum(['zstd', 'snappy', 'gzip', 'none']).optional()
    .describe('parquet: zstd (default) | snappy | gzip | none; csv: none (default) | gzip | zstd'),
  max_file_size: size.optional().describe('roll to a new part file past this size'),
  row_group_size: rowGroupSize.optional()
    .describe('parquet row group target: bytes (e.g. 64MB) or a plain number of rows'),
  columns: z.record(
    z.string(),
    z.union([
      z.string(),
      z.strictObject({
        type: z.string().optional().describe('output type, as in the short form'),
        zero_dates: z.enum(['error', 'as_null']).optional()
          .describe("MySQL zero dates ('0000-00-00'): fail the run (default) or write NULL"),
      }),
    ]),
  ).optional()
    .describe('per-column output type override, e.g. { amount: "decimal(38,9)" }'),
  partition_by: z.string().min(1).optional()
    .describe(
      'column whose value names a hive directory per part: <column>=<value>/ (NULL: __HIVE_DEFAULT_PARTITION__)',
    ),
  partition_granularity: z.enum(['day', 'month', 'year']).optional()
    .describe(
      'for a date or timestamp partition_by column: day (default, 2026-11-22), month (2026-11) or year',
    ),
  skip_empty: z.boolean().optional()
    .describe(
      'a run that exports no rows writes no data file; its manifest still records the run, with no parts',
    ),
  quality: qualitySchema.optional()
    .describe('checks over the exported rows; a failing one marks the manifest failed and exits 6'),
  on_schema_drift: onSchemaDrift.optional().describe(
    'when the columns differ from the last committed run: fail (exit 6, nothing written), warn, or continue; ' +
      'default: the top-level on_schema_drift, else fail on a removed, renamed or retyped column and warn on others',
  ),
  stall_timeout: duration.optional().describe(
    'fail the export when the source sends no rows and the destination takes no data for this long, ' +
      'naming which side stalled (exit 3 or 5); default 10m',
  ),
  meta_columns: z.array(z.enum(META_COLUMN_NAMES)).optional()
    .refine((names) => !names || new Set(names).size === names.length, 'names a column twice')
    .describe(
      "columns appended to every row: _rivet_exported_at (timestamptz, the run's start), _rivet_run_id " +
        "and _rivet_row_hash (hex SHA-256 of the row's values in canonical form, to deduplicate on)",
    ),
  destination: destinationSchema.optional().describe('overrides the top-level destination for this export'),
})

/** The keys each mode needs; the other modes' keys are errors rather than silently unused. */
const MODE_KEYS = {
  full: [],
  incremental: ['cursor_column'],
  chunked: ['chunk_column', 'chunk_size', 'parallel', 'chunk_max_attempts'],
  time_window: ['time_column', 'days_window'],
  cdc: ['slot', 'publication', 'max_slot_lag', 'rollover'],
} as const
const REQUIRED_KEYS = {
  incremental: ['cursor_column'],
  chunked: ['chunk_column', 'chunk_size'],
  time_window: ['time_column', 'days_window'],
  cdc: [],
} as const

function modeKeys(exp: z.infer<typeof exportSchema>, issue: (key: string, message: string) => void): void {
  for (const [mode, keys] of Object.entries(MODE_KEYS)) {
    if (mode === exp.mode) continue
    for (const key of keys) {
      if (exp[key] !== undefined) {
        issue(key, `${key} is for mode: ${mode}, and this export has mode: ${exp.mode}`)
      }
    }
  }
  if (exp.mode === 'full') return
  for (const key of REQUIRED_KEYS[exp.mode]) {
    if (exp[key] === undefined) issue(key, `mode: ${exp.mode} needs ${key}`)
  }
}

/** The whole config file. */
export const configSchema = z.strictObject({
  source: sourceSchema.describe('the database rows come from'),
  destination: destinationSchema.optional().describe('where files go, for every export that gives none'),
  exports: z.array(exportSchema).min(1).describe(
    'what to export: tables or queries, each to its own directory',
  ),
  state: z.strictObject({
    type: z.enum(['local', 'destination']).default('local').describe(
      "local: a file per export in a directory next to the config; destination: beside each export's data, " +
        'written with conditional requests',
    ),
    path: z.string().optional().describe('local: state directory, default .rivet/ next to the config file'),
  }).optional().describe('where cursors and checkpoints are kept'),
  on_schema_drift: onSchemaDrift.optional().describe(
    "default of every export's on_schema_drift (see there)",
  ),
  metrics: z.strictObject({
    pushgateway: z.url().describe(
      "Prometheus Pushgateway to push each export's metrics to at the end of a run, e.g. http://pushgateway:9091",
    ),
    job: z.string().min(1).default('rivet').describe('the job label of the pushed groups (default rivet)'),
  }).optional().describe(
    'Prometheus metrics of every run, grouped by export (also written to a file with rivet run --metrics-file)',
  ),
  notifications: z.strictObject({
    webhook_url_env: envName.describe(
      'environment variable holding the incoming-webhook URL (Slack, Teams, Mattermost); a secret, never logged',
    ),
    on: z.array(z.enum(['failure', 'drift', 'quality'])).min(1).default(['failure', 'drift', 'quality'])
      .describe(
        'which events post a message: a failed export, a schema drift, a failed quality rule (default all)',
      ),
  }).optional().describe('one JSON message per event of a run, in the shape of a Slack incoming webhook'),
}).superRefine((config, ctx) => {
  const source = config.source
  if (source.type !== 'sqlite') {
    const ways = [source.url, source.url_env, source.host].filter((v) => v !== undefined).length
    if (ways !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['source'],
        message: 'give exactly one of url, url_env or host (with port, user, database, password_env)',
      })
    }
    if (source.url && /^[^:]+:\/\/[^/@]*:[^/@]*@/.test(source.url)) {
      ctx.addIssue({
        code: 'custom',
        path: ['source', 'url'],
        message:
          'must not contain a password: put it in an environment variable named by password_env, or use url_env',
      })
    }
  }
  const names = new Set<string>()
  config.exports.forEach((exp, i) => {
    if (names.has(exp.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['exports', i, 'name'],
        message: `"${exp.name}" is used by two exports`,
      })
    }
    names.add(exp.name)
    const what = [exp.table, exp.query, exp.query_file].filter((v) => v !== undefined).length
    if (what !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['exports', i],
        message: 'give exactly one of table, query or query_file',
      })
    }
    modeKeys(exp, (key, message) => ctx.addIssue({ code: 'custom', path: ['exports', i, key], message }))
    if (exp.mode === 'cdc' && !exp.table) {
      ctx.addIssue({
        code: 'custom',
        path: ['exports', i],
        message: 'mode: cdc captures the changes of a table: give table, not query or query_file',
      })
    }
    if (exp.format === 'csv' && exp.compression === 'snappy') {
      ctx.addIssue({
        code: 'custom',
        path: ['exports', i, 'compression'],
        message: 'csv files take none, gzip or zstd',
      })
    }
    if (exp.partition_granularity && !exp.partition_by) {
      ctx.addIssue({
        code: 'custom',
        path: ['exports', i, 'partition_granularity'],
        message: 'needs partition_by: the column whose date it takes',
      })
    }
    if (exp.partition_by && (exp.destination ?? config.destination)?.type === 'stdout') {
      ctx.addIssue({
        code: 'custom',
        path: ['exports', i, 'partition_by'],
        message: 'stdout is one stream and has no directories: write partitions to local, s3, gcs or azure',
      })
    }
    if (!exp.destination && !config.destination) {
      ctx.addIssue({
        code: 'custom',
        path: ['exports', i],
        message: 'has no destination: add a top-level destination or one on the export',
      })
    }
  })
})
  // Each export carries the destination it writes to and its drift policy, its own or the
  // top-level one, so nothing below the config chooses between them again.
  .transform((config) => ({
    ...config,
    exports: config.exports.map((exp) => ({
      ...exp,
      destination: (exp.destination ?? config.destination)!,
      ...(exp.on_schema_drift ?? config.on_schema_drift
        ? { on_schema_drift: exp.on_schema_drift ?? config.on_schema_drift }
        : {}),
    })),
  }))

/** A validated config file. */
export type Config = z.infer<typeof configSchema>
/** One source block. */
export type SourceConfig = z.infer<typeof sourceSchema>
/** One destination block. */
export type DestinationConfig = z.infer<typeof destinationSchema>
/** One export. */
export type ExportConfig = Config['exports'][number]
/** TLS settings of a server source. */
export type TlsConfig = z.infer<typeof tls>

/** The config schema as JSON Schema (draft 2020-12), for `rivet schema`. */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configSchema, { io: 'input' }),
    title: 'rivet configuration',
  }
}
