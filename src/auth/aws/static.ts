/**
 * AWS keys from environment variables: the ones a destination names (`access_key_env`, ...) or
 * the standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
 */
import { requiredEnv } from '../../config/env.ts'
import { configError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import { env } from '../../runtime/process.ts'
import type { AwsCredentials, CredentialProvider } from '../credentials.ts'
import { staticCredentials } from '../static.ts'

/** Names of the variables holding the keys. */
export interface AwsEnvNames {
  accessKey: string
  secretKey: string
  sessionToken?: string
}

/** The standard variable names. */
export const AWS_STANDARD_ENV: AwsEnvNames = {
  accessKey: 'AWS_ACCESS_KEY_ID',
  secretKey: 'AWS_SECRET_ACCESS_KEY',
  sessionToken: 'AWS_SESSION_TOKEN',
}

/**
 * Static keys read once from the environment. They cannot refresh themselves: when they
 * expire, the fix is to refresh the variables (or use a profile or role rivet can refresh).
 */
export function envCredentials(names: AwsEnvNames, where: string): CredentialProvider<AwsCredentials> {
  const accessKeyId = requiredEnv(names.accessKey, where)
  const secretAccessKey = new Secret(requiredEnv(names.secretKey, where))
  const token = names.sessionToken ? env(names.sessionToken) : undefined
  // `aws configure export-credentials --format env` writes the expiry of temporary keys here.
  const expiration = env('AWS_CREDENTIAL_EXPIRATION')
  const expiresAt = expiration ? new Date(expiration) : undefined
  if (expiresAt && Number.isNaN(expiresAt.getTime())) {
    throw configError(`AWS_CREDENTIAL_EXPIRATION is not a date: ${expiration}`, 'CONFIG_INVALID')
  }
  // Naming the token variable too tells a user with expired session keys what to refresh.
  const variables = token ? `${names.accessKey}, ${names.sessionToken}` : names.accessKey
  return staticCredentials(`env static (${variables})`, {
    accessKeyId,
    secretAccessKey,
    sessionToken: token ? new Secret(token) : undefined,
    expiresAt,
  })
}
