/**
 * What every Azure credential source shares: a provider that also says who it is (masked) and
 * how a user renews it, and the one cache ({@link RefreshingCredentials}) that keeps bearer
 * tokens fresh.
 */
import type { Logger } from '../../log/logger.ts'
import type { AzureStorageCredentials, BearerToken, CredentialProvider } from '../credentials.ts'
import { loggedRefreshing } from '../refreshing.ts'
import { sharedProvider, sourceKey } from '../shared.ts'
import { staticCredentials } from '../static.ts'

/** Variables that point the Azure sources at their endpoints and files (never at a secret). */
const AZURE_LOCATORS = [
  'AZURE_AUTHORITY_HOST',
  'AZURE_POD_IDENTITY_AUTHORITY_HOST',
  'AZURE_FEDERATED_TOKEN_FILE',
  'IDENTITY_ENDPOINT',
]

/** An Azure Storage credential provider with what `doctor` and error messages say about it. */
export interface AzureProvider extends CredentialProvider<AzureStorageCredentials> {
  /** Who the credential is, masked: the account, `client 1234****cdef`, `system-assigned identity`. */
  readonly identity: string
  /** What a user does once the credential expired or was refused. */
  readonly renew: string
}

/** A place Microsoft Entra ID (Azure AD) tokens come from. */
export interface AzureTokenSource {
  /** For messages and `doctor`: `service principal (client secret from AZURE_SECRET)`. */
  source: string
  identity: string
  /** The app or identity behind the token (tenant, client id), which `identity` shows masked. */
  key: readonly unknown[]
  renew: string
  /** Fetches a fresh token; throws a RivetError (exit 4) that names the source and the fix. */
  fetch(): Promise<BearerToken>
}

/** A credential that never changes: a key or SAS read once from the environment. */
export function fixedProvider(
  source: string,
  credential: AzureStorageCredentials,
  about: { identity: string; renew: string },
): AzureProvider {
  return { ...staticCredentials(source, credential), ...about }
}

/**
 * `source` behind the shared cache: fetched when first needed and again before it expires. The
 * process has one such provider per source (see shared.ts).
 */
export function cachedToken(source: AzureTokenSource, logger?: Logger): AzureProvider {
  const key = sourceKey(['azure', source.source, ...source.key], AZURE_LOCATORS)
  return sharedProvider(key, () => {
    const cache = loggedRefreshing<Extract<AzureStorageCredentials, { kind: 'bearer' }>>(
      source.source,
      async () => ({ kind: 'bearer', ...await source.fetch() }),
      () => `token for ${source.identity}`,
      logger,
      key,
    )
    return Object.assign(cache, { identity: source.identity, renew: source.renew })
  })
}
