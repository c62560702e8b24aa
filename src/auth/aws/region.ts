/**
 * The region of an S3 destination as the AWS CLI and SDKs resolve it: the destination's
 * `region`, then AWS_REGION, AWS_DEFAULT_REGION, then the `region` of the profile in use
 * (`aws_profile`, else AWS_PROFILE, else `default`). When none names one, the bucket's own region
 * is found from S3's answers (see destinations/s3/client.ts).
 */
import { env } from '../../runtime/process.ts'
import { environmentProfile, readAwsConfigFiles } from './profiles.ts'

/** A region and the setting that gave it, for the message when the bucket is elsewhere. */
export interface ConfiguredRegion {
  region: string
  /** `destination.region`, `AWS_REGION`, `region in profile prod (~/.aws/config)`. */
  from: string
}

/** The region the settings and the environment give, or undefined when none does. */
export function configuredRegion(
  settings: { region?: string; aws_profile?: string },
): ConfiguredRegion | undefined {
  if (settings.region) return { region: settings.region, from: 'destination.region' }
  for (const name of ['AWS_REGION', 'AWS_DEFAULT_REGION']) {
    const region = env(name)
    if (region) return { region, from: name }
  }
  const profile = settings.aws_profile ?? environmentProfile().name
  const files = readAwsConfigFiles()
  const region = files.profiles.get(profile)?.region
  return region ? { region, from: `region in profile ${profile} (${files.configPath})` } : undefined
}
