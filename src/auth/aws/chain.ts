/**
 * Which AWS credentials a destination uses: the keys its `*_env` settings name, its
 * `aws_profile`, or else the standard chain (see default-chain.ts); with `role_arn`, a role
 * assumed on top of those and refreshed before it expires. Temporary keys without their
 * session token are stopped before any request.
 */
import { requiredEnv } from '../../config/env.ts'
import { configError } from '../../errors.ts'
import type { Logger } from '../../log/logger.ts'
import { Secret } from '../../log/secret.ts'
import type { AwsCredentials, CredentialProvider } from '../credentials.ts'
import { defaultChain } from './default-chain.ts'
import { profileCredentials } from './profile.ts'
import { assumedRoleSource, defaultSessionName } from './role.ts'
import { type AwsContext, cached } from './source.ts'
import { envCredentials } from './static.ts'

/** The credential settings of an S3 destination block. */
export interface AwsCredentialSettings {
  access_key_env?: string
  secret_key_env?: string
  session_token_env?: string
  aws_profile?: string
  role_arn?: string
  external_id_env?: string
  role_session_name?: string
  /** Seconds, within STS's 15 minutes to 12 hours (the config schema checks). */
  role_duration?: number
}

/** What resolving needs besides the settings. */
export interface AwsCredentialOptions {
  /** The destination's region: STS is called there unless a profile or variable says otherwise. */
  region: string
  /** Receives credential fetches (debug) and failed background refreshes (warn). */
  logger?: Logger
}

/** STS's default session length; the role's own maximum may be lower. */
const DEFAULT_ROLE_SECONDS = 3600

/** The base credentials: named keys, the named profile, or the standard chain. */
function base(settings: AwsCredentialSettings, context: AwsContext): CredentialProvider<AwsCredentials> {
  if (settings.access_key_env && settings.secret_key_env) {
    return envCredentials(
      {
        accessKey: settings.access_key_env,
        secretKey: settings.secret_key_env,
        sessionToken: settings.session_token_env,
      },
      context.where,
    )
  }
  if (settings.aws_profile) return profileCredentials(settings.aws_profile, context)
  return defaultChain(context)
}

/** Resolves the provider for a destination. `where` names the block in messages. */
export function awsCredentials(
  settings: AwsCredentialSettings,
  where: string,
  options: AwsCredentialOptions,
): CredentialProvider<AwsCredentials> {
  const context: AwsContext = { where, ...options }
  let provider = base(settings, context)
  if (settings.role_arn) {
    provider = cached(
      assumedRoleSource(provider, {
        roleArn: settings.role_arn,
        sessionName: settings.role_session_name ?? defaultSessionName(),
        durationSeconds: settings.role_duration ?? DEFAULT_ROLE_SECONDS,
        externalId: settings.external_id_env
          ? new Secret(requiredEnv(settings.external_id_env, where))
          : undefined,
        externalIdFrom: settings.external_id_env,
      }, { region: context.region }),
      context,
    )
  }
  return checkedForSessionToken(provider, where)
}

/** Temporary keys (ASIA...) are useless without their session token: say so before any request. */
function checkedForSessionToken(
  provider: CredentialProvider<AwsCredentials>,
  where: string,
): CredentialProvider<AwsCredentials> {
  return {
    source: provider.source,
    refreshable: provider.refreshable,
    invalidate: () => provider.invalidate(),
    get: async () => {
      const credentials = await provider.get()
      if (credentials.accessKeyId.startsWith('ASIA') && !credentials.sessionToken) {
        throw configError(
          `${where}: the access key from ${provider.source} is temporary (ASIA...) but no session token is set; ` +
            'set session_token_env (or AWS_SESSION_TOKEN)',
          'CONFIG_MISSING_SESSION_TOKEN',
        )
      }
      return credentials
    },
  }
}
