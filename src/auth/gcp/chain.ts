/**
 * Which Google credential a GCS destination uses. For now: none (`allow_anonymous`, for
 * emulators and public buckets) or an OAuth access token from GOOGLE_OAUTH_ACCESS_TOKEN.
 * Nothing found is an auth error (exit 4) listing what was tried.
 */
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import { env } from '../../runtime/process.ts'
import type { BearerToken, CredentialProvider } from '../credentials.ts'
import { staticCredentials } from '../static.ts'

/** The variable `gcloud auth print-access-token` output goes into. */
export const GOOGLE_TOKEN_ENV = 'GOOGLE_OAUTH_ACCESS_TOKEN'

/** The credential settings of a GCS destination block. */
export interface GcpCredentialSettings {
  allow_anonymous?: boolean
}

/**
 * Resolves the token provider for a destination; undefined means anonymous requests (no
 * Authorization header). `where` names the block in messages.
 */
export function gcpCredentials(
  settings: GcpCredentialSettings,
  where: string,
): CredentialProvider<BearerToken> | undefined {
  if (settings.allow_anonymous) return undefined
  const token = env(GOOGLE_TOKEN_ENV)
  if (token) return staticCredentials(`env token (${GOOGLE_TOKEN_ENV})`, { token: new Secret(token) })
  throw authError(
    `${where}: no Google credentials found; tried allow_anonymous (not set) and ${GOOGLE_TOKEN_ENV} (not set); ` +
      `set ${GOOGLE_TOKEN_ENV} (e.g. from \`gcloud auth print-access-token\`), or allow_anonymous: true for an emulator`,
    'AUTH_MISSING',
  )
}
