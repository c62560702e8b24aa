/**
 * Workload identity (AKS, GitHub Actions and other federated issuers): the platform writes a
 * signed token to AZURE_FEDERATED_TOKEN_FILE, and Entra ID exchanges it, as a client assertion,
 * for a storage token of AZURE_CLIENT_ID in AZURE_TENANT_ID. The file is read again for every
 * refresh because the platform rotates it.
 */
import { readFile } from 'node:fs/promises'
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import { env } from '../../runtime/process.ts'
import { maskKeyId } from '../credentials.ts'
import type { AzureTokenSource } from './source.ts'
import { requestEntraToken } from './token.ts'

/** The token file and the app it signs in as. */
export interface WorkloadIdentity {
  tokenFile: string
  clientId: string
  tenant: string
}

/** The settings the environment gives, or why there are none. */
export function workloadIdentityFromEnv(): WorkloadIdentity | { skipped: string } {
  const tokenFile = env('AZURE_FEDERATED_TOKEN_FILE')
  const clientId = env('AZURE_CLIENT_ID')
  const tenant = env('AZURE_TENANT_ID')
  if (!tokenFile) return { skipped: 'AZURE_FEDERATED_TOKEN_FILE not set' }
  if (!clientId) return { skipped: 'AZURE_CLIENT_ID not set' }
  if (!tenant) return { skipped: 'AZURE_TENANT_ID not set' }
  return { tokenFile, clientId, tenant }
}

/** The source that exchanges the federated token for storage tokens. */
export function workloadIdentitySource(identity: WorkloadIdentity): AzureTokenSource {
  const source = `workload identity (AZURE_FEDERATED_TOKEN_FILE ${identity.tokenFile})`
  return {
    source,
    identity: `client ${maskKeyId(identity.clientId)} in tenant ${identity.tenant}`,
    key: [identity.tenant, identity.clientId, identity.tokenFile],
    renew: 'check that the platform still writes AZURE_FEDERATED_TOKEN_FILE and that the app registration ' +
      'trusts its issuer and subject (federated credential)',
    fetch: async () => {
      let assertion: string
      try {
        assertion = (await readFile(identity.tokenFile, 'utf8')).trim()
      } catch (error) {
        throw authError(
          `${source}: the token file cannot be read: ${(error as Error).message}`,
          'AUTH_MISSING',
          error,
        )
      }
      if (!assertion) throw authError(`${source}: the token file is empty`, 'AUTH_MISSING')
      // Registered so that logs redact it: the token proves the identity until it expires.
      const proof = new Secret(assertion)
      return await requestEntraToken({
        tenant: identity.tenant,
        clientId: identity.clientId,
        proof: {
          client_assertion: proof.reveal(),
          client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        },
        what: source,
        hint: 'check AZURE_CLIENT_ID, AZURE_TENANT_ID and the federated credential of the app registration',
      })
    },
  }
}
