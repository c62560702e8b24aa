/**
 * A role assumed on top of other credentials (a destination's `role_arn`, a profile's
 * `role_arn` + `source_profile`/`credential_source`). Each refresh asks the base provider for
 * its current credentials first, so a base that expires is renewed underneath the role.
 */
import { RivetError } from '../../errors.ts'
import type { AwsCredentials, CredentialProvider } from '../credentials.ts'
import type { AwsSource } from './source.ts'
import { assumeRole, type RoleRequest, stsEndpoint, type StsTarget } from './sts.ts'

const PROCESS_STARTED = Date.now()

/**
 * The session name when none is configured: says who made it and when, as CloudTrail shows it.
 * One per process, so every export assuming a role shares one session (and one provider).
 */
export function defaultSessionName(now = PROCESS_STARTED): string {
  return `rivet-${now}`
}

/** The source that assumes `role` with the credentials `base` hands out. */
export function assumedRoleSource(
  base: CredentialProvider<AwsCredentials>,
  role: RoleRequest,
  target: StsTarget,
): AwsSource {
  return {
    source: `assumed role ${role.roleArn} via ${base.source}`,
    key: JSON.stringify([
      'role',
      role.roleArn,
      role.sessionName,
      role.durationSeconds,
      role.externalIdFrom,
      stsEndpoint(target),
      base.key ?? base.source,
    ]),
    fetch: async () => {
      try {
        return await assumeRole(await base.get(), role, target)
      } catch (error) {
        // STS refused the base session as expired before its stated expiry: renew it once.
        if (!(error instanceof RivetError && error.code === 'AUTH_EXPIRED') || !base.refreshable) throw error
        base.invalidate()
        return await assumeRole(await base.get(), role, target)
      }
    },
  }
}
