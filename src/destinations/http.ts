/**
 * What the object-store clients share about HTTP: typed failures (an error answer vs. no answer
 * at all), which of them are worth retrying, sending a large body without a copy of it, encoding
 * an object name into a URL path, and the Content-MD5 that lets a store reject a corrupted body.
 */
import { createHash } from 'node:crypto'

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
 * `fetch` with a byte (or text) body, and a request that got no answer thrown as a
 * {@link NetworkError}.
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
  try {
    // TypeScript's DOM types reject a Uint8Array over a SharedArrayBuffer; ours never are.
    return await fetch(url, request)
  } catch (error) {
    throw new NetworkError(operation, { cause: error })
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

/** The text of the first `<name>` element of an XML answer (error codes, ids). */
export function xmlTag(xml: string, name: string): string | undefined {
  const text = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1]
  return text === undefined ? undefined : decodeXml(text)
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/** Decodes XML's five named entities and numeric character references. */
function decodeXml(text: string): string {
  return text.replace(
    /&(?:#x([0-9a-f]+)|#(\d+)|(\w+));/gi,
    (entity, hex?: string, dec?: string, named?: string) => {
      if (named) return XML_ENTITIES[named] ?? entity
      return String.fromCodePoint(hex ? parseInt(hex, 16) : Number(dec))
    },
  )
}

/** The text of every `<name>` element of an XML answer, decoded (the object names of a listing). */
export function xmlTexts(xml: string, name: string): string[] {
  return Array.from(xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g')), (m) => decodeXml(m[1]))
}

/**
 * The raw inner XML of every `<name>` element (the entries of a listing), for {@link xmlTag} to
 * take fields from: decoding it first would decode the fields' text twice.
 */
export function xmlElements(xml: string, name: string): string[] {
  return Array.from(xml.matchAll(new RegExp(`<${name}>([\\s\\S]*?)</${name}>`, 'g')), (m) => m[1])
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
