/**
 * A service principal with a client secret: the OAuth 2 client-credentials grant, from the
 * destination's `tenant_id`, `client_id` and `client_secret_env`, or from AZURE_TENANT_ID,
 * AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (the first link of the default chain).
 */
import type { Secret } from '../../log/secret.ts'
import { maskKeyId } from '../credentials.ts'
import type { AzureTokenSource } from './source.ts'
import { requestEntraToken } from './token.ts'

/** The app registration and its secret; `secretFrom` names the variable for messages. */
export interface ServicePrincipal {
  tenant: string
  clientId: string
  secret: Secret
  secretFrom: string
}

/** The source that exchanges the client secret for storage tokens. */
export function servicePrincipalSource(principal: ServicePrincipal): AzureTokenSource {
  const source = `service principal (client secret from ${principal.secretFrom})`
  return {
    source,
    identity: `client ${maskKeyId(principal.clientId)} in tenant ${principal.tenant}`,
    key: [principal.tenant, principal.clientId],
    renew: `create a new client secret for the app registration and put it in ${principal.secretFrom}`,
    fetch: () =>
      requestEntraToken({
        tenant: principal.tenant,
        clientId: principal.clientId,
        proof: { client_secret: principal.secret.reveal() },
        what: source,
        hint: `check tenant_id, client_id and the secret in ${principal.secretFrom} (it may have expired)`,
      }),
  }
}
