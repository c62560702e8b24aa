/**
 * Which AWS credentials a destination uses: the variables it names, or else the standard
 * AWS environment variables. Nothing found is an auth error (exit 4) listing what was tried.
 */
import { authError, configError } from '../../errors.ts'
import { env } from '../../runtime/process.ts'
import type { AwsCredentials, CredentialProvider } from '../credentials.ts'
import { AWS_STANDARD_ENV, envCredentials } from './static.ts'

/** The credential settings of an S3 destination block. */
export interface AwsCredentialSettings {
  access_key_env?: string
  secret_key_env?: string
  session_token_env?: string
}

/** Resolves the provider for a destination. `where` names the block in messages. */
export function awsCredentials(
  settings: AwsCredentialSettings,
  where: string,
): CredentialProvider<AwsCredentials> {
  let provider: CredentialProvider<AwsCredentials>
  if (settings.access_key_env && settings.secret_key_env) {
    provider = envCredentials(
      {
        accessKey: settings.access_key_env,
        secretKey: settings.secret_key_env,
        sessionToken: settings.session_token_env,
      },
      where,
    )
  } else if (env(AWS_STANDARD_ENV.accessKey) && env(AWS_STANDARD_ENV.secretKey)) {
    provider = envCredentials(AWS_STANDARD_ENV, 'the environment')
  } else {
    throw authError(
      `${where}: no AWS credentials found; tried access_key_env/secret_key_env (not set) and ` +
        `AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (not set); set one of them`,
      'AUTH_MISSING',
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
    ...provider,
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
