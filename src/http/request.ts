/**
 * HTTP as rivet's clients send it. Object stores: typed failures (an error answer vs. no answer
 * at all), which of them are worth retrying, sending a large body without a copy of it, encoding
 * an object name into a URL path, Content-MD5 and conditional writes. Credential endpoints (STS,
 * SSO, token endpoints, metadata servers): every request has a deadline, so a black-holed address
 * (169.254.169.254 off a cloud VM) costs at most the deadline instead of a hang, and the body is
 * read under the same deadline.
 */
import { createHash } from 'node:crypto'
import { env } from '../runtime/process.ts'

/** A store answered a request with an error status. */
export class StoreError extends Error {
  override readonly name = 'StoreError'
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** The store's error code (`ContainerNotFound`, `notFound`, ...) or `HTTP<status>`. */
    readonly code: string,
    message: string,
    /** The store's name for the request, e.g. `PutBlock`. */
    readonly operation: string,
  ) {
    super(message)
  }
}

/** A successful answer: its status, headers and body (clients read every body to its end). */
export type Answer = Pick<Response, 'status' | 'headers'> & { text: string }

/** Reads an answer's body whole; reading to the end, even unused, lets the connection be reused. */
export async function readAnswer(response: Response): Promise<Answer> {
  return { status: response.status, headers: response.headers, text: await response.text() }
}

/** A request that never got an answer (refused, reset, DNS, TLS). */
export class NetworkError extends Error {
  override readonly name = 'NetworkError'
  constructor(readonly operation: string, options: { cause: unknown }) {
    super(`${operation}: ${(options.cause as Error)?.message ?? options.cause}`, options)
  }
}

/**
 * Bun's fetch copies a byte body whole before sending it, so an upload part would be in memory
 * twice (measured: 16-35 MB more RSS per 16 MB part in flight). Given as a stream of slices with
 * its Content-Length, the body is read as the socket drains instead. Deno's fetch sends any
 * stream chunked, without a length, which object stores refuse: Deno gets the bytes.
 */
const STREAM_BODIES = Boolean((globalThis as { Bun?: unknown }).Bun)
/**
 * The slices are all queued at once: Bun's fetch took one per turn of the event loop, which the
 * encoder keeps busy, so parts waited on the loop (4 MB slices pulled one at a time: 10.4-11.2 s
 * for 959 MB of CSV to MinIO, 10.0-10.5 s queued). Their size trades memory for main-thread time:
 * 10M rows to MinIO as Parquet peaked at 139-144 MB with 2 MB slices, 143-150 MB with 512 KB and
 * 151-162 MB with 128 KB, for ~0.4 s more CPU than 512 KB (docs/benchmarks.md, sixth round).
 */
const BODY_SLICE = 2 * 1024 * 1024

/** A stream of `bytes` in slices, all queued at once (views, not copies). */
function sliced(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      for (let at = 0; at < bytes.length; at += BODY_SLICE) {
        controller.enqueue(bytes.subarray(at, at + BODY_SLICE))
      }
      controller.close()
    },
  })
}

/**
 * How long a store request waits for its answer to begin, beyond the time its body takes at
 * {@link SLOWEST_UPLOAD}: a store that stops answering (a hung server, a dead peer behind a live
 * load balancer) fails the attempt, which is retried, instead of holding the run forever. The
 * environment variable RIVET_STORE_TIMEOUT (seconds) sets it.
 */
const ANSWER_TIMEOUT_MS = 30_000
/** The slowest upload tolerated, in bytes per second (64 KiB/s: an 8 MB part may take 128 s more). */
const SLOWEST_UPLOAD = 64 * 1024

/** Milliseconds a request with a body of `bytes` may wait for its answer's headers. */
function answerTimeout(bytes: number): number {
  const configured = Number(env('RIVET_STORE_TIMEOUT'))
  const base = configured > 0 ? configured * 1000 : ANSWER_TIMEOUT_MS
  return base + Math.ceil(bytes / SLOWEST_UPLOAD) * 1000
}

/**
 * `fetch` with a byte (or text) body; a request that got no answer, or none within
 * {@link answerTimeout}, is thrown as a {@link NetworkError}. The timeout ends with the answer's
 * headers, so a download streams its body for as long as it takes.
 */
export async function fetchOrThrow(
  operation: string,
  url: string,
  init: Omit<RequestInit, 'body'> & { body?: Uint8Array | string },
): Promise<Response> {
  let request = init as RequestInit
  const body = init.body
  if (STREAM_BODIES && body instanceof Uint8Array && body.length > BODY_SLICE) {
    const headers = new Headers(init.headers)
    headers.set('content-length', String(body.length))
    request = { ...init, headers, body: sliced(body) }
  }
  const limit = answerTimeout(body?.length ?? 0)
  const timeout = new AbortController()
  const timer = setTimeout(() => timeout.abort(), limit)
  try {
    // TypeScript's DOM types reject a Uint8Array over a SharedArrayBuffer; ours never are.
    return await fetch(url, { ...request, signal: timeout.signal })
  } catch (error) {
    const cause = timeout.signal.aborted ? new Error(`no answer within ${limit / 1000} s`) : error
    throw new NetworkError(operation, { cause })
  } finally {
    clearTimeout(timer)
  }
}

/** Failures that may pass on their own: no answer, 408, 429 and 5xx. */
export function transient(error: unknown): boolean {
  if (error instanceof NetworkError) return true
  return error instanceof StoreError && (error.status >= 500 || error.status === 408 || error.status === 429)
}

/** Encodes an object name for a URL path, keeping its slashes (RFC 3986 unreserved only). */
export function encodePath(name: string): string {
  return name.split('/').map((part) =>
    encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  ).join('/')
}

/** The Content-MD5 header value of a body: base64 of its MD5 digest. */
export function contentMd5(body: Uint8Array): string {
  return createHash('md5').update(body).digest('base64')
}

/**
 * The HTTP precondition of a conditional write: `If-Match` the version (an ETag) read before,
 * or `If-None-Match: *` to create the object only if it does not exist yet.
 */
export function versionCondition(version: string | undefined): Record<string, string> {
  return version === undefined ? { 'if-none-match': '*' } : { 'if-match': version }
}

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
