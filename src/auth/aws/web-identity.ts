/**
 * Web identity: an OIDC token in a file (EKS IRSA, GitHub Actions, ...) exchanged with STS
 * AssumeRoleWithWebIdentity. The file is read again for every refresh because the platform
 * rotates it.
 */
import { readFile } from 'node:fs/promises'
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import { env } from '../../runtime/process.ts'
import { defaultSessionName } from './role.ts'
import type { AwsSource } from './source.ts'
import { assumeRoleWithWebIdentity, stsEndpoint, type StsTarget } from './sts.ts'

/** The token file and the role it is exchanged for. */
export interface WebIdentitySettings {
  tokenFile: string
  roleArn: string
  sessionName?: string
}

/** The settings AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and AWS_ROLE_SESSION_NAME give, or why none. */
export function webIdentityFromEnv(): WebIdentitySettings | string {
  const tokenFile = env('AWS_WEB_IDENTITY_TOKEN_FILE')
  const roleArn = env('AWS_ROLE_ARN')
  if (!tokenFile || !roleArn) {
    return tokenFile ? 'AWS_ROLE_ARN not set' : 'AWS_WEB_IDENTITY_TOKEN_FILE not set'
  }
  return { tokenFile, roleArn, sessionName: env('AWS_ROLE_SESSION_NAME') }
}

/** The source that exchanges the token for the role's credentials. */
export function webIdentitySource(settings: WebIdentitySettings, target: StsTarget): AwsSource {
  const sessionName = settings.sessionName ?? defaultSessionName()
  return {
    source: `web identity role ${settings.roleArn}`,
    key: JSON.stringify([
      'web identity',
      settings.roleArn,
      sessionName,
      settings.tokenFile,
      stsEndpoint(target),
    ]),
    fetch: async () => {
      let token: string
      try {
        token = (await readFile(settings.tokenFile, 'utf8')).trim()
      } catch (error) {
        throw authError(
          `web identity token file ${settings.tokenFile} cannot be read: ${(error as Error).message}`,
          'AUTH_MISSING',
          error,
        )
      }
      return await assumeRoleWithWebIdentity(new Secret(token), {
        roleArn: settings.roleArn,
        sessionName,
      }, target)
    },
  }
}
