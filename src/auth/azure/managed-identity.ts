/**
 * Managed identity: App Service and Functions hand tokens out at IDENTITY_ENDPOINT (with the
 * secret IDENTITY_HEADER, API 2019-08-01); VMs, scale sets and AKS nodes at the instance
 * metadata service (API 2018-02-01, `Metadata: true`), whose address the Azure SDKs let
 * AZURE_POD_IDENTITY_AUTHORITY_HOST replace. A `client_id` picks a user-assigned identity.
 */
import { withRetry } from '../../http/retry.ts'
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import { env } from '../../runtime/process.ts'
import { fetchWithin, NoAnswerError } from '../../http/request.ts'
import { maskKeyId } from '../credentials.ts'
import type { AzureTokenSource } from './source.ts'
import { refusal, STORAGE_RESOURCE, tokenFromJson, TokenRefusal } from './token.ts'

/**
 * Per request at the metadata address: it answers in milliseconds on Azure, and off Azure it
 * usually swallows packets, so waiting longer only delays the error.
 */
export const IMDS_TIMEOUT_MS = 2000

/** App Service's endpoint is local to the app and always answers. */
const APP_SERVICE_TIMEOUT_MS = 10_000

/** The instance metadata address. */
export function imdsHost(): string {
  return (env('AZURE_POD_IDENTITY_AUTHORITY_HOST') ?? 'http://169.254.169.254').replace(/\/+$/, '')
}

/** Where the token comes from: App Service when the environment names its endpoint, else IMDS. */
interface Endpoint {
  name: string
  url: URL
  headers: Record<string, string>
  timeoutMs: number
}

function endpoint(clientId: string | undefined): Endpoint {
  const appService = env('IDENTITY_ENDPOINT')
  const header = env('IDENTITY_HEADER')
  let found: Endpoint
  if (appService && header) {
    found = {
      name: 'managed identity (App Service IDENTITY_ENDPOINT)',
      url: new URL(appService),
      headers: { 'x-identity-header': new Secret(header).reveal() },
      timeoutMs: APP_SERVICE_TIMEOUT_MS,
    }
    found.url.searchParams.set('api-version', '2019-08-01')
  } else {
    found = {
      name: 'managed identity (instance metadata)',
      url: new URL(`${imdsHost()}/metadata/identity/oauth2/token`),
      headers: { metadata: 'true' },
      timeoutMs: IMDS_TIMEOUT_MS,
    }
    found.url.searchParams.set('api-version', '2018-02-01')
  }
  found.url.searchParams.set('resource', STORAGE_RESOURCE)
  if (clientId) found.url.searchParams.set('client_id', clientId)
  return found
}

/** Throttled or briefly unavailable; no answer at all is final (off Azure it stays silent). */
function retryable(error: unknown): boolean {
  return error instanceof TokenRefusal && (error.status >= 500 || error.status === 429)
}

/** The source of the managed identity's tokens; `clientId` selects a user-assigned one. */
export function managedIdentitySource(clientId?: string): AzureTokenSource {
  const { name, url, headers, timeoutMs } = endpoint(clientId)
  const what = `${name} at ${url.origin}`
  const identity = clientId ? `user-assigned identity ${maskKeyId(clientId)}` : 'system-assigned identity'
  return {
    source: name,
    identity,
    key: [url.toString()],
    renew: `check that the ${identity} is assigned to this machine or app and has a Storage Blob Data role`,
    fetch: async () => {
      try {
        return await withRetry(
          async () => {
            const answer = await fetchWithin(url.toString(), { headers }, timeoutMs)
            if (!answer.ok) throw refusal(answer)
            return tokenFromJson(answer.text, what)
          },
          retryable,
          { attempts: 3, baseMs: 200, maxMs: 2000 },
        )
      } catch (error) {
        if (error instanceof NoAnswerError) {
          throw authError(`${what}: ${error.reason}`, 'AUTH_UNAVAILABLE', error)
        }
        if (error instanceof TokenRefusal) {
          throw authError(
            `${what} gave no token for the ${identity}: ${error.code}${
              error.message ? `: ${error.message}` : ''
            }`,
            error.status === 400 || error.status === 404 ? 'AUTH_MISSING' : 'AUTH_FAILED',
            error,
          )
        }
        throw error
      }
    },
  }
}
