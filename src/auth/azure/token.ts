/**
 * Microsoft Entra ID (Azure AD) tokens for Azure Storage: the OAuth 2 client-credentials grant
 * at `${AZURE_AUTHORITY_HOST}/<tenant>/oauth2/v2.0/token` (a client secret or a federated
 * assertion proves the identity), and the token JSON that it, instance metadata and App Service
 * answer with. Refusals become auth errors (exit 4) with Entra's own AADSTS code; answers are
 * never quoted, since they hold the token.
 */
import { withRetry } from '../../http/retry.ts'
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import { env } from '../../runtime/process.ts'
import { fetchWithin, type HttpAnswer, NoAnswerError } from '../../http/request.ts'
import { parseJsonObject } from '../aws/json.ts'
import type { BearerToken } from '../credentials.ts'

/** The audience every storage token is asked for. */
export const STORAGE_RESOURCE = 'https://storage.azure.com/'

/** Entra ID answers within seconds; past this something is wrong with the network. */
const TOKEN_TIMEOUT_MS = 15_000

/** The Entra ID host: AZURE_AUTHORITY_HOST (sovereign clouds, tests), else the public cloud. */
export function authorityHost(): string {
  return (env('AZURE_AUTHORITY_HOST') ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')
}

/** A token endpoint's refusal: HTTP status and the OAuth error code. */
export class TokenRefusal extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message)
  }
}

/** Answers worth asking again: no answer, throttling, a server error. */
export function transientTokenError(error: unknown): boolean {
  return error instanceof NoAnswerError ||
    (error instanceof TokenRefusal && (error.status >= 500 || error.status === 429))
}

/** The refusal in an error answer: `invalid_client: AADSTS7000215: Invalid client secret provided.` */
export function refusal(answer: HttpAnswer): TokenRefusal {
  let json: Record<string, unknown> = {}
  try {
    json = JSON.parse(answer.text)
  } catch {
    // Not JSON (a proxy's page): the status says enough.
  }
  const code = typeof json.error === 'string' ? json.error : `HTTP${answer.status}`
  const detail = json.error_description ?? json.message ?? json.Message
  // Entra appends Trace ID, Correlation ID and Timestamp lines: keep the first.
  const message = typeof detail === 'string' ? detail.split(/\r?\n/)[0].trim() : ''
  return new TokenRefusal(answer.status, code, message)
}

/** Seconds as a number, from a number or a numeric string (IMDS sends strings). */
function seconds(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() ? Number(value) : value
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined
}

/**
 * The token in a JSON answer. The expiry comes from `expires_in` (relative, so a skewed local
 * clock does not matter) or else `expires_on` (epoch seconds, App Service's only field).
 */
export function tokenFromJson(text: string, what: string, now = Date.now()): BearerToken {
  const json = parseJsonObject(text, what)
  if (typeof json.access_token !== 'string' || !json.access_token) {
    throw authError(`${what} answered without an access_token`)
  }
  const expiresIn = seconds(json.expires_in)
  const expiresOn = seconds(json.expires_on)
  let expiresAt: Date | undefined
  if (expiresIn !== undefined) expiresAt = new Date(now + expiresIn * 1000)
  else if (expiresOn !== undefined) expiresAt = new Date(expiresOn * 1000)
  return { token: new Secret(json.access_token), expiresAt }
}

/** What to ask Entra ID for and how to name it in messages. */
export interface TokenRequest {
  tenant: string
  clientId: string
  /** The proof: `client_secret`, or `client_assertion` with its type. */
  proof: Record<string, string>
  /** Names the source in messages: `service principal (client secret from AZURE_SECRET)`. */
  what: string
  /** What to check when Entra refuses. */
  hint: string
}

/** Asks Entra ID for a storage token with the client-credentials grant. */
export async function requestEntraToken(request: TokenRequest): Promise<BearerToken> {
  const endpoint = `${authorityHost()}/${encodeURIComponent(request.tenant)}/oauth2/v2.0/token`
  const body = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: request.clientId,
    scope: `${STORAGE_RESOURCE}.default`,
    ...request.proof,
  }).toString()
  const what = `${request.what} at ${new URL(endpoint).origin}`
  try {
    return await withRetry(
      async () => {
        const answer = await fetchWithin(endpoint, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body,
        }, TOKEN_TIMEOUT_MS)
        if (!answer.ok) throw refusal(answer)
        return tokenFromJson(answer.text, what)
      },
      transientTokenError,
      { attempts: 3, baseMs: 200, maxMs: 2000 },
    )
  } catch (error) {
    if (error instanceof TokenRefusal) {
      throw authError(
        `${what} was refused: ${error.code}${error.message ? `: ${error.message}` : ''}; ${request.hint}`,
        'AUTH_FAILED',
        error,
      )
    }
    if (error instanceof NoAnswerError) {
      throw authError(`${what} failed: ${error.message}`, 'AUTH_UNAVAILABLE', error)
    }
    throw error
  }
}
