/**
 * The standard AWS chain for a destination that names no credentials, in the AWS SDKs' order:
 * environment keys, the profile (AWS_PROFILE, or `default` when the files have one with
 * credentials), web identity, container credentials, instance metadata. The first link that
 * applies is used; when none does, the error lists every link and why it did not apply.
 */
import { authError } from '../../errors.ts'
import { env } from '../../runtime/process.ts'
import type { AwsCredentials, CredentialProvider } from '../credentials.ts'
import { containerEndpoint, containerSource } from './container.ts'
import { imdsDisabled, imdsSource } from './imds.ts'
import { profileCredentials, profileHasCredentials } from './profile.ts'
import { environmentProfile, readAwsConfigFiles } from './profiles.ts'
import { type AwsContext, cached } from './source.ts'
import { AWS_STANDARD_ENV, envCredentials } from './static.ts'
import { webIdentityFromEnv, webIdentitySource } from './web-identity.ts'
import { lastResort } from '../last-resort.ts'

/** A link either gives a provider or says why it does not apply. */
type Link = [name: string, resolve: () => CredentialProvider<AwsCredentials> | { skipped: string }]

function environmentLink(): CredentialProvider<AwsCredentials> | { skipped: string } {
  const id = env(AWS_STANDARD_ENV.accessKey)
  const secret = env(AWS_STANDARD_ENV.secretKey)
  if (id && secret) return envCredentials(AWS_STANDARD_ENV, 'the environment')
  return { skipped: id ? 'AWS_SECRET_ACCESS_KEY not set' : 'AWS_ACCESS_KEY_ID not set' }
}

function profileLink(context: AwsContext): CredentialProvider<AwsCredentials> | { skipped: string } {
  const selected = environmentProfile()
  const files = readAwsConfigFiles()
  // A profile the user selected must work; the implicit `default` is only used when it exists.
  if (selected.explicit) return profileCredentials(selected.name, context, files)
  if (!files.found) return { skipped: `neither ${files.configPath} nor ${files.credentialsPath} exists` }
  const profile = files.profiles.get(selected.name)
  if (!profile) return { skipped: 'no [default] profile in the AWS config files' }
  if (!profileHasCredentials(profile)) return { skipped: 'the default profile has no credentials' }
  return profileCredentials(selected.name, context, files)
}

/** The chain's provider for a destination; throws (exit 4) listing the links when none applies. */
export function defaultChain(context: AwsContext): CredentialProvider<AwsCredentials> {
  const links: Link[] = [
    ['environment', environmentLink],
    [`profile ${environmentProfile().name}`, () => profileLink(context)],
    ['web identity', () => {
      const settings = webIdentityFromEnv()
      return typeof settings === 'string'
        ? { skipped: settings }
        : cached(webIdentitySource(settings, { region: context.region }), context)
    }],
    ['container credentials', () => {
      const endpoint = containerEndpoint()
      return typeof endpoint === 'string' ? cached(containerSource(endpoint), context) : endpoint
    }],
  ]
  const tried: string[] = []
  for (const [name, resolve] of links) {
    const result = resolve()
    if (!('skipped' in result)) return result
    tried.push(`${name} (${result.skipped})`)
  }
  const nothingFound = (last: string) =>
    authError(
      `${context.where}: no AWS credentials found; tried ${[...tried, last].join('; ')}. ` +
        'Set access_key_env and secret_key_env or aws_profile in the destination, or AWS_PROFILE',
      'AUTH_MISSING',
    )
  const disabled = imdsDisabled()
  if (disabled) throw nothingFound(`instance metadata (IMDSv2) (${disabled})`)
  // Instance metadata is the last resort.
  const imds = imdsSource()
  return cached({
    source: imds.source,
    fetch: lastResort(() => imds.fetch(), (reason) => nothingFound(reason)),
  }, context)
}
