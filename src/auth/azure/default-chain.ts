/**
 * The chain for an Azure destination that names no credential, in DefaultAzureCredential's
 * order: a service principal in the environment (AZURE_TENANT_ID, AZURE_CLIENT_ID,
 * AZURE_CLIENT_SECRET), workload identity, then managed identity. The first link that applies is
 * used; when none does, the error lists every link and why it did not apply.
 */
import { authError } from '../../errors.ts'
import type { Logger } from '../../log/logger.ts'
import { Secret } from '../../log/secret.ts'
import { env } from '../../runtime/process.ts'
import { managedIdentitySource } from './managed-identity.ts'
import { servicePrincipalSource } from './service-principal.ts'
import { type AzureProvider, type AzureTokenSource, cachedToken } from './source.ts'
import { workloadIdentityFromEnv, workloadIdentitySource } from './workload-identity.ts'
import { lastResort } from '../last-resort.ts'

/** A link either gives a token source or says why it does not apply. */
type Link = [name: string, resolve: () => AzureTokenSource | { skipped: string }]

function environmentPrincipal(): AzureTokenSource | { skipped: string } {
  const names = ['AZURE_TENANT_ID', 'AZURE_CLIENT_ID', 'AZURE_CLIENT_SECRET'] as const
  const missing = names.find((name) => !env(name))
  if (missing) return { skipped: `${missing} not set` }
  return servicePrincipalSource({
    tenant: env('AZURE_TENANT_ID')!,
    clientId: env('AZURE_CLIENT_ID')!,
    secret: new Secret(env('AZURE_CLIENT_SECRET')!),
    secretFrom: 'AZURE_CLIENT_SECRET',
  })
}

function appService(): AzureTokenSource | { skipped: string } {
  if (!env('IDENTITY_ENDPOINT') || !env('IDENTITY_HEADER')) {
    return { skipped: 'IDENTITY_ENDPOINT and IDENTITY_HEADER not set' }
  }
  return managedIdentitySource(env('AZURE_CLIENT_ID'))
}

/** The chain's provider; throws (exit 4) listing the links when none applies. */
export function defaultChain(where: string, logger?: Logger): AzureProvider {
  const links: Link[] = [
    ['environment service principal', environmentPrincipal],
    ['workload identity', () => {
      const settings = workloadIdentityFromEnv()
      return 'skipped' in settings ? settings : workloadIdentitySource(settings)
    }],
    ['managed identity (App Service)', appService],
  ]
  const tried = [
    'account_key_env / sas_token_env / connection_string_env / client_secret_env / managed_identity ' +
    'in the destination (none set)',
  ]
  for (const [name, resolve] of links) {
    const result = resolve()
    if (!('skipped' in result)) return cachedToken(result, logger)
    tried.push(`${name} (${result.skipped})`)
  }
  // Instance metadata is the last resort.
  const imds = managedIdentitySource(env('AZURE_CLIENT_ID'))
  return cachedToken({
    ...imds,
    fetch: lastResort(() => imds.fetch(), (reason, cause) =>
      authError(
        `${where}: no Azure credentials found; tried ${[...tried, reason].join('; ')}. ` +
          'Set account_key_env, sas_token_env, connection_string_env, or tenant_id + client_id + ' +
          'client_secret_env in the destination, or allow_anonymous: true for Azurite or a public container',
        'AUTH_MISSING',
        cause,
      )),
  }, logger)
}
