/**
 * Which Azure Storage account, endpoint and credential a destination uses: the account key
 * (`account_key_env`), a SAS token (`sas_token_env`), a connection string
 * (`connection_string_env`, which may also name the account and endpoint), a service principal
 * (`tenant_id` + `client_id` + `client_secret_env`), a managed identity (`managed_identity`),
 * none (`allow_anonymous`), or else the default chain (see default-chain.ts). The schema
 * rejects conflicting settings.
 */
import { requiredEnv } from '../../config/env.ts'
import { configError } from '../../errors.ts'
import type { Logger } from '../../log/logger.ts'
import { Secret } from '../../log/secret.ts'
import { parseConnectionString } from './connection-string.ts'
import { defaultChain } from './default-chain.ts'
import { managedIdentitySource } from './managed-identity.ts'
import { sasProvider } from './sas.ts'
import { servicePrincipalSource } from './service-principal.ts'
import { type AzureProvider, cachedToken, fixedProvider } from './source.ts'

/** The account and credential settings of an Azure destination block. */
export interface AzureCredentialSettings {
  account_name?: string
  endpoint?: string
  account_key_env?: string
  sas_token_env?: string
  connection_string_env?: string
  tenant_id?: string
  client_id?: string
  client_secret_env?: string
  managed_identity?: boolean
  allow_anonymous?: boolean
}

/** The account a destination writes to and how it signs in. */
export interface AzureAccess {
  account: string
  /** The blob endpoint, without a trailing slash. */
  endpoint: string
  /** Undefined for anonymous requests. */
  credentials: AzureProvider | undefined
}

/** The hint for a key refused by the service. */
function keyRenew(variable: string, account: string): string {
  return `check that the key in ${variable} is a current key of account ${account}`
}

/** The account, endpoint and credential of a connection string. */
function fromConnectionString(
  settings: AzureCredentialSettings,
  variable: string,
  where: string,
  logger?: Logger,
): AzureAccess {
  const parsed = parseConnectionString(requiredEnv(variable, where), variable, where)
  if (settings.account_name && settings.account_name !== parsed.account) {
    throw configError(
      `${where}: account_name ${settings.account_name} differs from the account of the connection string in ` +
        `${variable} (${parsed.account}); drop account_name`,
    )
  }
  const account = parsed.account
  const endpoint = settings.endpoint ?? parsed.endpoint
  const source = `connection string (${variable})`
  const credentials = parsed.credential.kind === 'shared-key'
    ? fixedProvider(source, { kind: 'shared-key', key: new Secret(parsed.credential.key) }, {
      identity: account,
      renew: keyRenew(variable, account),
    })
    : sasProvider(parsed.credential.token, { source: `${source} SAS`, variable, account, where }, logger)
  return { account, endpoint: endpoint.replace(/\/+$/, ''), credentials }
}

/** Resolves a destination's account, endpoint and credential. `where` names the block in messages. */
export function azureAccess(settings: AzureCredentialSettings, where: string, logger?: Logger): AzureAccess {
  if (settings.connection_string_env) {
    return fromConnectionString(settings, settings.connection_string_env, where, logger)
  }
  if (!settings.account_name) {
    throw configError(`${where}: account_name is required without connection_string_env`)
  }
  const account = settings.account_name
  const endpoint = (settings.endpoint ?? `https://${account}.blob.core.windows.net`).replace(/\/+$/, '')
  return { account, endpoint, credentials: credentialsFor(settings, account, where, logger) }
}

function credentialsFor(
  settings: AzureCredentialSettings,
  account: string,
  where: string,
  logger?: Logger,
): AzureProvider | undefined {
  if (settings.allow_anonymous) return undefined
  if (settings.account_key_env) {
    const variable = settings.account_key_env
    return fixedProvider(`shared key (${variable})`, {
      kind: 'shared-key',
      key: new Secret(requiredEnv(variable, where)),
    }, { identity: account, renew: keyRenew(variable, account) })
  }
  if (settings.sas_token_env) {
    const variable = settings.sas_token_env
    return sasProvider(requiredEnv(variable, where), {
      source: `SAS token (${variable})`,
      variable,
      account,
      where,
    }, logger)
  }
  if (settings.client_secret_env) {
    return cachedToken(
      servicePrincipalSource({
        tenant: settings.tenant_id!,
        clientId: settings.client_id!,
        secret: new Secret(requiredEnv(settings.client_secret_env, where)),
        secretFrom: settings.client_secret_env,
      }),
      logger,
    )
  }
  if (settings.managed_identity) return cachedToken(managedIdentitySource(settings.client_id), logger)
  return defaultChain(where, logger)
}
