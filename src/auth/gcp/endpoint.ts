/**
 * Requests to Google's credential endpoints (OAuth token, STS, IAM Credentials, metadata
 * server): a deadline on every request, retries for 5xx and no answer, and refusals turned into
 * auth errors (exit 4) that quote the endpoint's own error code and description but never the
 * request, which carries the secret.
 */
import { withRetry } from '../../http/retry.ts'
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import { fetchWithin, NoAnswerError } from '../../http/request.ts'
import { parseJsonObject } from '../aws/json.ts'
import type { GoogleToken } from './source.ts'

/** Token endpoints answer within seconds; past this something is wrong with the network. */
const TOKEN_TIMEOUT_MS = 15_000

/** Who is asking, for messages, and what the user does when the endpoint says no. */
export interface EndpointCall {
  /** The source's name: `service account key /etc/rivet/sa.json`. */
  what: string
  /** The fix a refusal suggests. */
  renew: string
  /** Per attempt; the token endpoint's 15 s unless given. */
  timeoutMs?: number
  /** Attempts for 5xx and no answer; 3 unless given. */
  attempts?: number
}

/** An error answer: the status and the endpoint's own code and description. */
class EndpointError extends Error {
  constructor(readonly status: number, readonly code: string, message: string) {
    super(message)
  }
}

/**
 * The code and description of an error answer: OAuth's `{"error": "invalid_grant",
 * "error_description": ...}` or the Google API shape `{"error": {"status": ..., "message": ...}}`.
 */
function endpointError(status: number, text: string): EndpointError {
  let body: { error?: unknown; error_description?: unknown } = {}
  try {
    body = JSON.parse(text)
  } catch {
    // An HTML error page from a proxy: the status says enough.
  }
  const error = body.error
  if (typeof error === 'string') {
    return new EndpointError(
      status,
      error,
      typeof body.error_description === 'string' ? body.error_description : '',
    )
  }
  const api = (error ?? {}) as { status?: unknown; message?: unknown }
  return new EndpointError(
    status,
    typeof api.status === 'string' ? api.status : `HTTP${status}`,
    typeof api.message === 'string' ? api.message : '',
  )
}

/** The HTTP status a credential endpoint refused a request with, for an error {@link callEndpoint} threw. */
export function refusalStatus(error: unknown): number | undefined {
  const cause = error instanceof Error ? error.cause : undefined
  return cause instanceof EndpointError ? cause.status : undefined
}

function transient(error: unknown): boolean {
  return error instanceof NoAnswerError ||
    (error instanceof EndpointError && (error.status >= 500 || error.status === 429))
}

/** Sends a request to a credential endpoint and returns its JSON answer. */
export async function callEndpoint(
  url: string,
  init: RequestInit,
  call: EndpointCall,
): Promise<Record<string, unknown>> {
  const endpoint = `${new URL(url).origin}${new URL(url).pathname}`
  try {
    return await withRetry(
      async () => {
        const answer = await fetchWithin(url, init, call.timeoutMs ?? TOKEN_TIMEOUT_MS)
        if (!answer.ok) throw endpointError(answer.status, answer.text)
        return parseJsonObject(answer.text, `${call.what}: ${endpoint}`)
      },
      transient,
      { attempts: call.attempts ?? 3, baseMs: 200, maxMs: 2000 },
    )
  } catch (error) {
    if (error instanceof EndpointError) {
      throw authError(
        `${call.what}: ${endpoint} refused the request with HTTP ${error.status} ${error.code}${
          error.message ? `: ${error.message}` : ''
        }; ${call.renew}`,
        'AUTH_FAILED',
        error,
      )
    }
    if (error instanceof NoAnswerError) {
      throw authError(`${call.what}: ${error.message}`, 'AUTH_UNAVAILABLE', error)
    }
    throw error
  }
}

/** Posts an `application/x-www-form-urlencoded` body and returns the JSON answer. */
export function postForm(url: string, form: Record<string, string>, call: EndpointCall) {
  return callEndpoint(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  }, call)
}

/** The token of an OAuth 2 answer (`access_token`, `expires_in` seconds). */
export function oauthToken(json: Record<string, unknown>, what: string): GoogleToken {
  const token = json.access_token
  if (typeof token !== 'string' || !token) throw authError(`${what}: the token answer has no access_token`)
  const seconds = Number(json.expires_in)
  return {
    token: new Secret(token),
    expiresAt: Number.isFinite(seconds) && seconds > 0 ? new Date(Date.now() + seconds * 1000) : undefined,
  }
}

/** The scope rivet asks for: read and write objects, nothing else. */
export const STORAGE_SCOPE = 'https://www.googleapis.com/auth/devstorage.read_write'

/** The scope IAM Credentials and STS need to be called with the token. */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform'
