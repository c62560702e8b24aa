/**
 * IAM Identity Center (SSO) profiles, both `sso_session` and the legacy `sso_start_url` form:
 * the access token `aws sso login` cached in ~/.aws/sso/cache (file name: sha1 of the session
 * name, or of the start URL for legacy profiles) is exchanged at the SSO portal
 * (GetRoleCredentials) for the role's credentials. Each refresh reads the cache again, so a
 * `aws sso login` during a run is picked up. rivet does not refresh the SSO token itself: an
 * expired one ends the run (exit 4) with the login command to run.
 */
import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { authError, configError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import type { AwsCredentials } from '../credentials.ts'
import { serviceEndpoint } from './endpoints.ts'
import { fetchWithin, NoAnswerError } from '../../http/request.ts'
import type { IniSection } from './ini.ts'
import { expiration, parseJsonObject } from './json.ts'
import { type AwsConfigFiles, homeDirectory } from './profiles.ts'
import type { AwsSource } from './source.ts'

/** The portal answers within seconds. */
const PORTAL_TIMEOUT_MS = 15_000

/** Whether a profile is an SSO profile. */
export function isSsoProfile(profile: IniSection): boolean {
  return profile.sso_session !== undefined || profile.sso_start_url !== undefined
}

/** What an SSO profile needs, from the profile and its `[sso-session]` section. */
interface SsoSettings {
  /** The token cache key: the session name, or the start URL of a legacy profile. */
  cacheKey: string
  region: string
  accountId: string
  roleName: string
}

function settings(name: string, profile: IniSection, files: AwsConfigFiles): SsoSettings {
  const where = `AWS profile ${name} in ${files.configPath}`
  let session: IniSection = profile
  if (profile.sso_session !== undefined) {
    const found = files.ssoSessions.get(profile.sso_session)
    if (!found) {
      throw configError(
        `${where} names sso_session ${profile.sso_session}, which has no [sso-session] section`,
      )
    }
    session = found
  }
  const missing = ['sso_start_url', 'sso_region'].filter((k) => !session[k])
    .concat(['sso_account_id', 'sso_role_name'].filter((k) => !profile[k]))
  if (missing.length) throw configError(`${where} is an SSO profile without ${missing.join(', ')}`)
  return {
    cacheKey: profile.sso_session ?? session.sso_start_url,
    region: session.sso_region,
    accountId: profile.sso_account_id,
    roleName: profile.sso_role_name,
  }
}

/** The source that exchanges the cached SSO token for the profile's role credentials. */
export function ssoSource(name: string, profile: IniSection, files: AwsConfigFiles): AwsSource {
  const sso = settings(name, profile, files)
  const source = `profile ${name} (sso)`
  const login = `run \`aws sso login --profile ${name}\``
  const cacheFile = join(
    homeDirectory(),
    '.aws',
    'sso',
    'cache',
    `${createHash('sha1').update(sso.cacheKey).digest('hex')}.json`,
  )
  const endpoint = serviceEndpoint('SSO', `portal.sso.${sso.region}`, sso.region, profile)

  const readToken = async (): Promise<Secret> => {
    let text: string
    try {
      text = await readFile(cacheFile, 'utf8')
    } catch {
      throw authError(`${source}: no SSO login is cached (${cacheFile}); ${login}`, 'AUTH_MISSING')
    }
    const cached = parseJsonObject(text, `the SSO token cache ${cacheFile}`)
    const expiresAt = expiration(cached.expiresAt, `the SSO token cache ${cacheFile}`)
    if (typeof cached.accessToken !== 'string' || !expiresAt) {
      throw authError(`${source}: ${cacheFile} holds no SSO access token; ${login}`, 'AUTH_MISSING')
    }
    const token = new Secret(cached.accessToken)
    if (expiresAt.getTime() <= Date.now()) {
      throw authError(
        `${source}: the SSO session expired at ${expiresAt.toISOString()}; ${login}`,
        'AUTH_EXPIRED',
      )
    }
    return token
  }

  return {
    source,
    fetch: async (): Promise<AwsCredentials> => {
      const token = await readToken()
      const query = new URLSearchParams({ account_id: sso.accountId, role_name: sso.roleName })
      const what = `${source}: the SSO portal ${endpoint}`
      let answer
      try {
        answer = await fetchWithin(`${endpoint}/federation/credentials?${query}`, {
          headers: { 'x-amz-sso_bearer_token': token.reveal(), accept: 'application/json' },
        }, PORTAL_TIMEOUT_MS)
      } catch (error) {
        if (error instanceof NoAnswerError) {
          throw authError(`${what}: ${error.reason}`, 'AUTH_UNAVAILABLE', error)
        }
        throw error
      }
      if (answer.status === 401) {
        throw authError(`${what} no longer accepts the cached SSO token; ${login}`, 'AUTH_EXPIRED')
      }
      if (answer.status === 403) {
        throw authError(
          `${what} refused role ${sso.roleName} in account ${sso.accountId}; check sso_role_name and sso_account_id`,
        )
      }
      if (!answer.ok) throw authError(`${what} answered HTTP ${answer.status}`, 'AUTH_UNAVAILABLE')
      const role = parseJsonObject(answer.text, what).roleCredentials as Record<string, unknown> | undefined
      const { accessKeyId, secretAccessKey, sessionToken } = role ?? {}
      if (
        typeof accessKeyId !== 'string' || typeof secretAccessKey !== 'string' ||
        typeof sessionToken !== 'string'
      ) {
        throw authError(`${what} answered without role credentials`)
      }
      return {
        accessKeyId,
        secretAccessKey: new Secret(secretAccessKey),
        sessionToken: new Secret(sessionToken),
        expiresAt: expiration(role?.expiration, what),
      }
    },
  }
}
