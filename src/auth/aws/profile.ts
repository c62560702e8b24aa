/**
 * Credentials from a named AWS profile, in the order the AWS SDKs try a profile's settings:
 * `role_arn` (with `source_profile`, `credential_source` or `web_identity_token_file`), static
 * keys (with or without `aws_session_token`), `credential_process`, SSO (`sso_session` or
 * legacy `sso_start_url`), and AWS Login (`login_session`). Every kind goes through the shared
 * cache; static keys are read from the files again when a store rejects them.
 */
import { authError, configError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import type { AwsCredentials, CredentialProvider } from '../credentials.ts'
import { containerEndpoint, containerSource } from './container.ts'
import { imdsSource } from './imds.ts'
import type { IniSection } from './ini.ts'
import { loginSource } from './login.ts'
import { processSource } from './process.ts'
import { type AwsConfigFiles, readAwsConfigFiles } from './profiles.ts'
import { assumedRoleSource, defaultSessionName } from './role.ts'
import { type AwsContext, type AwsSource, cached } from './source.ts'
import { isSsoProfile, ssoSource } from './sso.ts'
import { AWS_STANDARD_ENV, envCredentials } from './static.ts'
import { webIdentitySource } from './web-identity.ts'

/** Whether a profile names any way to get credentials (the default chain passes over ones that do not). */
export function profileHasCredentials(profile: IniSection): boolean {
  return Boolean(
    profile.role_arn || profile.aws_access_key_id || profile.credential_process || isSsoProfile(profile) ||
      profile.login_session,
  )
}

/** Static keys of profile `name`, read from the files at each fetch so rotated keys are seen. */
function staticSource(name: string): AwsSource {
  const source = `profile ${name} (static)`
  return {
    source,
    fetch: () => {
      const files = readAwsConfigFiles()
      const profile = files.profiles.get(name)
      if (!profile?.aws_access_key_id || !profile.aws_secret_access_key) {
        throw authError(
          `${source}: aws_access_key_id and aws_secret_access_key must both be set (${files.credentialsPath})`,
          'AUTH_MISSING',
        )
      }
      return Promise.resolve({
        accessKeyId: profile.aws_access_key_id,
        secretAccessKey: new Secret(profile.aws_secret_access_key),
        sessionToken: profile.aws_session_token ? new Secret(profile.aws_session_token) : undefined,
      })
    },
  }
}

/** The base credentials `credential_source` names. */
function credentialSource(
  name: string,
  value: string,
  context: AwsContext,
): CredentialProvider<AwsCredentials> {
  switch (value) {
    case 'Environment':
      return envCredentials(AWS_STANDARD_ENV, `AWS profile ${name} (credential_source = Environment)`)
    case 'Ec2InstanceMetadata':
      return cached(imdsSource(), context)
    case 'EcsContainer': {
      const endpoint = containerEndpoint()
      if (typeof endpoint !== 'string') {
        throw configError(`AWS profile ${name} has credential_source = EcsContainer but ${endpoint.skipped}`)
      }
      return cached(containerSource(endpoint), context)
    }
    default:
      throw configError(
        `AWS profile ${name} has credential_source = ${value}; use Environment, Ec2InstanceMetadata or EcsContainer`,
      )
  }
}

/** The role profile `name` assumes, on the credentials its source setting names. */
function roleProfile(
  name: string,
  profile: IniSection,
  files: AwsConfigFiles,
  context: AwsContext,
  visited: string[],
): CredentialProvider<AwsCredentials> {
  const target = { region: profile.region ?? context.region, profile }
  const sessionName = profile.role_session_name ?? defaultSessionName()
  if (profile.web_identity_token_file && !profile.source_profile && !profile.credential_source) {
    const web = webIdentitySource(
      { tokenFile: profile.web_identity_token_file, roleArn: profile.role_arn, sessionName },
      target,
    )
    return cached({ ...web, source: `profile ${name} (${web.source})` }, context)
  }
  let base: CredentialProvider<AwsCredentials>
  const from = profile.source_profile
  if (from === name) {
    // A profile may assume its role with its own keys.
    if (!profile.aws_access_key_id) {
      throw configError(`AWS profile ${name} is its own source_profile but has no keys`)
    }
    base = cached(staticSource(name), context)
  } else if (from !== undefined) {
    if (visited.includes(from)) {
      throw configError(`AWS profiles ${[...visited, name, from].join(' -> ')} form a source_profile loop`)
    }
    base = profileCredentials(from, context, files, [...visited, name])
  } else if (profile.credential_source) {
    base = credentialSource(name, profile.credential_source, context)
  } else {
    throw configError(
      `AWS profile ${name} has role_arn but no source_profile, credential_source or web_identity_token_file`,
    )
  }
  const duration = profile.duration_seconds ? Number(profile.duration_seconds) : undefined
  if (duration !== undefined && !Number.isInteger(duration)) {
    throw configError(
      `AWS profile ${name} has duration_seconds = ${profile.duration_seconds}; use whole seconds`,
    )
  }
  const role = assumedRoleSource(base, {
    roleArn: profile.role_arn,
    sessionName,
    durationSeconds: duration,
    externalId: profile.external_id ? new Secret(profile.external_id) : undefined,
    externalIdFrom: profile.external_id ? `profile ${name}` : undefined,
  }, target)
  return cached({ ...role, source: `profile ${name} (${role.source})` }, context)
}

/**
 * The provider for AWS profile `name`. `visited` holds the profiles that led here through
 * `source_profile`, to stop loops.
 */
export function profileCredentials(
  name: string,
  context: AwsContext,
  files: AwsConfigFiles = readAwsConfigFiles(),
  visited: string[] = [],
): CredentialProvider<AwsCredentials> {
  const profile = files.profiles.get(name)
  if (!profile) {
    throw configError(
      `${context.where}: AWS profile ${name} is in neither ${files.configPath} nor ${files.credentialsPath}` +
        (visited.length ? ` (source_profile of ${visited[visited.length - 1]})` : ''),
      'CONFIG_PROFILE_NOT_FOUND',
    )
  }
  if (profile.role_arn) return roleProfile(name, profile, files, context, visited)
  if (profile.aws_access_key_id) return cached(staticSource(name), context)
  if (profile.credential_process) return cached(processSource(name, profile.credential_process), context)
  if (isSsoProfile(profile)) return cached(ssoSource(name, profile, files), context)
  if (profile.login_session) return cached(loginSource(name, profile.login_session), context)
  throw authError(
    `${context.where}: AWS profile ${name} has no credentials: set aws_access_key_id and aws_secret_access_key, ` +
      'credential_process, role_arn, sso_session or login_session',
    'AUTH_MISSING',
  )
}
