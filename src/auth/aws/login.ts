/**
 * AWS Login sessions (`aws login`, profiles with `login_session`): the AWS CLI caches
 * short-lived credentials in ~/.aws/login/cache/<sha256 of the session>.json (or under
 * AWS_LOGIN_CACHE_DIRECTORY) and renews them with a DPoP-signed OAuth exchange. rivet reads the
 * cached credentials, and reads the file again on every refresh (the CLI may have renewed it),
 * but does not run the exchange itself: when the cache is stale or unreadable it says how to
 * bridge through `aws configure export-credentials` as a credential_process, which the CLI keeps
 * fresh.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { authError } from '../../errors.ts'
import { env } from '../../runtime/process.ts'
import { type AwsCredentials, maskKeyId } from '../credentials.ts'
import { credentialsFromJson, expiration } from './json.ts'
import { homeDirectory } from './profiles.ts'
import type { AwsSource } from './source.ts'

/** The source that reads profile `name`'s cached AWS Login credentials. */
export function loginSource(name: string, session: string): AwsSource {
  const source = `profile ${name} (aws login)`
  const directory = env('AWS_LOGIN_CACHE_DIRECTORY') ?? join(homeDirectory(), '.aws', 'login', 'cache')
  const file = join(directory, `${createHash('sha256').update(session).digest('hex')}.json`)
  const bridge = `run \`aws login --profile ${name}\`, or for long runs give rivet a profile with ` +
    `\`credential_process = aws configure export-credentials --profile ${name} --format process\``

  return {
    source,
    fetch: async (): Promise<AwsCredentials> => {
      let token: Record<string, unknown> | undefined
      try {
        token = JSON.parse(await readFile(file, 'utf8')).accessToken
      } catch {
        token = undefined
      }
      if (typeof token !== 'object' || token === null) {
        throw authError(`${source}: rivet cannot read the AWS Login cache ${file}; ${bridge}`, 'AUTH_MISSING')
      }
      const what = `${source}: the AWS Login cache ${file}`
      const credentials = credentialsFromJson({
        AccessKeyId: token.accessKeyId,
        SecretAccessKey: token.secretAccessKey,
        SessionToken: token.sessionToken,
      }, what)
      credentials.expiresAt = expiration(token.expiresAt, what)
      if (!credentials.expiresAt || credentials.expiresAt.getTime() <= Date.now()) {
        throw authError(
          `${source}: the cached credentials (${maskKeyId(credentials.accessKeyId)}) expired ` +
            `${
              credentials.expiresAt ? `at ${credentials.expiresAt.toISOString()} ` : ''
            }and rivet cannot renew ` +
            `an AWS Login session itself; ${bridge}`,
          'AUTH_EXPIRED',
        )
      }
      return credentials
    },
  }
}
