/**
 * Which Google credential a GCS destination uses: none (`allow_anonymous`, for emulators and
 * public buckets); the destination's `credentials_file`; else the chain Google's client
 * libraries use (Application Default Credentials): an access token in GOOGLE_OAUTH_ACCESS_TOKEN,
 * the file GOOGLE_APPLICATION_CREDENTIALS names, gcloud's ADC file, the metadata server. With
 * `impersonate_service_account`, that credential impersonates the service account. Nothing
 * found is an auth error (exit 4) listing what was tried.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { authError, configError, type RivetError } from '../../errors.ts'
import type { Logger } from '../../log/logger.ts'
import { Secret } from '../../log/secret.ts'
import { env } from '../../runtime/process.ts'
import { homeDirectory } from '../aws/profiles.ts'
import { staticCredentials } from '../static.ts'
import { CLOUD_PLATFORM_SCOPE, STORAGE_SCOPE } from './endpoint.ts'
import { fileCredentials } from './file-credentials.ts'
import { impersonatedSource, impersonationUrl } from './impersonation.ts'
import { readKeyFile } from './key-file.ts'
import { metadataSource } from './metadata.ts'
import { cachedToken, type FileOrigin, type GoogleCredentials } from './source.ts'
import { lastResort } from '../last-resort.ts'

/** The variable `gcloud auth print-access-token` output goes into. */
export const GOOGLE_TOKEN_ENV = 'GOOGLE_OAUTH_ACCESS_TOKEN'

/** The credential settings of a GCS destination block. */
export interface GcpCredentialSettings {
  allow_anonymous?: boolean
  /** An absolute path (the config loader's relative paths are anchored by the caller). */
  credentials_file?: string
  impersonate_service_account?: string
}

/** A link either gives a provider or says why it does not apply. */
type Link = [name: string, resolve: () => GoogleCredentials | { skipped: string }]

/** What resolving needs besides the settings. */
interface Context {
  where: string
  /** The scope the base credential asks for: wider when it is only used to impersonate. */
  scope: string
  logger?: Logger
}

/** The directory gcloud keeps its configuration in: CLOUDSDK_CONFIG, else ~/.config/gcloud. */
function gcloudConfigDir(): string {
  return env('CLOUDSDK_CONFIG') || join(homeDirectory(), '.config', 'gcloud')
}

/** The provider for the credential file at `origin.path`; `fail` makes the error for a bad file. */
function fromFile(
  origin: FileOrigin,
  context: Context,
  fail: (why: string) => RivetError,
): GoogleCredentials {
  return fileCredentials(readKeyFile(origin.path, fail), origin, context.scope, context.logger)
}

function envTokenLink(): GoogleCredentials | { skipped: string } {
  const token = env(GOOGLE_TOKEN_ENV)
  if (!token) return { skipped: 'not set' }
  return {
    ...staticCredentials(`env token (${GOOGLE_TOKEN_ENV})`, { token: new Secret(token) }),
    renew:
      `set ${GOOGLE_TOKEN_ENV} to a new token (\`gcloud auth print-access-token\`) or use credentials rivet can refresh`,
  }
}

function applicationCredentialsLink(context: Context): GoogleCredentials | { skipped: string } {
  const path = env('GOOGLE_APPLICATION_CREDENTIALS')
  if (!path) return { skipped: 'not set' }
  const label = `GOOGLE_APPLICATION_CREDENTIALS ${path}`
  return fromFile(
    { label, path, gcloud: false },
    context,
    (why) =>
      authError(
        `${context.where}: ${label}: ${why}; fix the file or unset the variable`,
        'AUTH_INVALID_FILE',
      ),
  )
}

function gcloudLink(context: Context): GoogleCredentials | { skipped: string } {
  const path = join(gcloudConfigDir(), 'application_default_credentials.json')
  if (!existsSync(path)) return { skipped: `${path} does not exist` }
  const label = `ADC from gcloud (${path})`
  return fromFile(
    { label, path, gcloud: true },
    context,
    (why) =>
      authError(
        `${context.where}: ${label}: ${why}; run \`gcloud auth application-default login\``,
        'AUTH_INVALID_FILE',
      ),
  )
}

/** Application Default Credentials; throws (exit 4) listing the links when none applies. */
function defaultChain(context: Context): GoogleCredentials {
  const links: Link[] = [
    [GOOGLE_TOKEN_ENV, envTokenLink],
    ['GOOGLE_APPLICATION_CREDENTIALS', () => applicationCredentialsLink(context)],
    ['ADC from gcloud', () => gcloudLink(context)],
  ]
  const tried: string[] = []
  for (const [name, resolve] of links) {
    const result = resolve()
    if (!('skipped' in result)) return result
    tried.push(`${name} (${result.skipped})`)
  }
  // The metadata server is the last resort.
  const metadata = metadataSource()
  return cachedToken({
    ...metadata,
    fetch: lastResort(() => metadata.fetch(), (reason, cause) =>
      authError(
        `${context.where}: no Google credentials found; tried ${[...tried, reason].join('; ')}. ` +
          'Set credentials_file in the destination, run `gcloud auth application-default login`, ' +
          'or set allow_anonymous: true for an emulator',
        'AUTH_MISSING',
        cause,
      )),
  }, context.logger)
}

/**
 * Resolves the token provider for a destination; undefined means anonymous requests (no
 * Authorization header). `where` names the block in messages.
 */
export function gcpCredentials(
  settings: GcpCredentialSettings,
  where: string,
  options: { logger?: Logger } = {},
): GoogleCredentials | undefined {
  if (settings.allow_anonymous) return undefined
  const target = settings.impersonate_service_account
  const context: Context = {
    where,
    scope: target ? CLOUD_PLATFORM_SCOPE : STORAGE_SCOPE,
    logger: options.logger,
  }
  const path = settings.credentials_file
  const base = path
    ? fromFile(
      { label: `credentials_file ${path}`, path, gcloud: false },
      context,
      (why) => configError(`${where}: credentials_file ${path}: ${why}`, 'CONFIG_CREDENTIALS_FILE'),
    )
    : defaultChain(context)
  if (!target) return base
  return cachedToken(
    impersonatedSource(base, { url: impersonationUrl(target), scope: STORAGE_SCOPE }),
    options.logger,
  )
}
