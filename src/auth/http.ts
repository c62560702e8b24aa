/**
 * HTTP for credential endpoints (AWS STS and SSO, the token endpoints of Google and Azure AD,
 * container and instance metadata servers): every request has a deadline, so a black-holed
 * address (169.254.169.254 off a cloud VM) costs at most the deadline instead of a hang, and the
 * body is read under the same deadline.
 */

/** A credential endpoint's answer. */
export interface HttpAnswer {
  status: number
  ok: boolean
  headers: Headers
  text: string
}

/** A credential endpoint gave no answer in time, or refused the connection. */
export class NoAnswerError extends Error {
  override readonly name = 'NoAnswerError'
  constructor(
    /** Scheme, host and port asked. */
    readonly origin: string,
    /** What happened: `no answer within 1 s`, `Connection refused`. */
    readonly reason: string,
    options: { cause: unknown },
  ) {
    super(`${origin}: ${reason}`, options)
  }
}

/** Sends a request and reads the whole answer within `timeoutMs`. */
export async function fetchWithin(url: string, init: RequestInit, timeoutMs: number): Promise<HttpAnswer> {
  const signal = AbortSignal.timeout(timeoutMs)
  try {
    const response = await fetch(url, { ...init, signal, redirect: 'error' })
    return {
      status: response.status,
      ok: response.ok,
      headers: response.headers,
      text: await response.text(),
    }
  } catch (error) {
    const reason = signal.aborted
      ? `no answer within ${timeoutMs >= 1000 ? `${timeoutMs / 1000} s` : `${timeoutMs} ms`}`
      : (error as Error).message
    throw new NoAnswerError(new URL(url).origin, reason, { cause: error })
  }
}
