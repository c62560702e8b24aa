/**
 * Which Azure Storage credential a destination uses: the account key (`account_key_env`) or a
 * SAS token (`sas_token_env`). The schema rejects both at once; neither is an auth error
 * (exit 4) listing what was tried.
 */
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import type { AzureStorageCredentials, CredentialProvider } from '../credentials.ts'
import { requiredEnv, staticCredentials } from '../static.ts'

/** The credential settings of an Azure destination block. */
export interface AzureCredentialSettings {
  account_key_env?: string
  sas_token_env?: string
}

/** The signed expiry (`se=`) of a SAS token, when it has a readable one. */
function sasExpiry(token: string): Date | undefined {
  const se = new URLSearchParams(token).get('se')
  const date = se ? new Date(se) : undefined
  return date && !Number.isNaN(date.getTime()) ? date : undefined
}

/** Resolves the provider for a destination. `where` names the block in messages. */
export function azureCredentials(
  settings: AzureCredentialSettings,
  where: string,
): CredentialProvider<AzureStorageCredentials> {
  if (settings.account_key_env) {
    const key = new Secret(requiredEnv(settings.account_key_env, where))
    return staticCredentials(`shared key (${settings.account_key_env})`, { kind: 'shared-key', key })
  }
  if (settings.sas_token_env) {
    // Portals hand out SAS tokens with and without the leading `?`.
    const token = requiredEnv(settings.sas_token_env, where).replace(/^\?/, '')
    return staticCredentials(`SAS token (${settings.sas_token_env})`, {
      kind: 'sas',
      token: new Secret(token),
      expiresAt: sasExpiry(token),
    })
  }
  throw authError(
    `${where}: no Azure credentials found; tried account_key_env (not set) and sas_token_env (not set); set one of them`,
    'AUTH_MISSING',
  )
}
