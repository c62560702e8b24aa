/**
 * A small Google Cloud Storage client on fetch, for the JSON API: requests to one bucket with
 * an OAuth bearer token (or none, for emulators and public buckets), a request answered 401
 * sent once more with a fresh token, and GCS's JSON error answers turned into
 * {@link StoreError}s. It knows HTTP, not config or the pipeline.
 */
import type { GoogleCredentials } from '../../auth/gcp/source.ts'
import type { Secret } from '../../log/secret.ts'
import { type Answer, fetchOrThrow, readAnswer, StoreError } from '../../http/request.ts'

/** Where the bucket is. */
export interface GcsLocation {
  /** Scheme and host of the API: `https://storage.googleapis.com`, or an emulator's. */
  endpoint: string
  bucket: string
}

/** Request options. */
export interface GcsRequest {
  body?: Uint8Array
  /** Header names in lowercase. */
  headers?: Record<string, string>
  /** Statuses that are answers rather than errors: 308 from an upload session. */
  accept?: number[]
}

/** GCS error answers: `{"error": {"code": 404, "message": "...", "errors": [{"reason": "notFound"}]}}`. */
interface GcsErrorBody {
  error?: { message?: string; errors?: { reason?: string }[] }
}

/** Sends requests to one bucket. */
export class GcsClient {
  constructor(
    readonly location: GcsLocation,
    /** Undefined: anonymous requests, without an Authorization header. */
    readonly credentials: GoogleCredentials | undefined,
  ) {}

  /** `endpoint` + `path`, however the endpoint was written. */
  private api(path: string): string {
    return `${this.location.endpoint.replace(/\/+$/, '')}${path}`
  }

  /** The bucket's metadata URL. */
  bucketUrl(): string {
    return this.api(`/storage/v1/b/${encodeURIComponent(this.location.bucket)}`)
  }

  /** An object's metadata URL: the name is one path segment, its slashes encoded. */
  objectUrl(name: string): string {
    return `${this.bucketUrl()}/o/${encodeURIComponent(name)}`
  }

  /** The upload URL for an object: `media` uploads it whole, `resumable` opens a session. */
  uploadUrl(name: string, uploadType: 'media' | 'resumable'): string {
    // encodeURIComponent writes a space as %20, which every server reads alike; not so `+`.
    const query = `uploadType=${uploadType}&name=${encodeURIComponent(name)}`
    return this.api(`/upload/storage/v1/b/${encodeURIComponent(this.location.bucket)}/o?${query}`)
  }

  /** A page of the names of objects starting with `prefix`. */
  listUrl(prefix: string, pageToken?: string): string {
    const query = new URLSearchParams({ prefix, fields: 'items(name),nextPageToken' })
    if (pageToken) query.set('pageToken', pageToken)
    return `${this.bucketUrl()}/o?${query}`
  }

  /** An object's bytes (rather than its metadata). */
  mediaUrl(name: string): string {
    return `${this.objectUrl(name)}?alt=media`
  }

  /** Sends a request to `url` and reads the answer whole; throws {@link StoreError} for an error answer. */
  async send(operation: string, method: string, url: string, request: GcsRequest = {}): Promise<Answer> {
    return await readAnswer(await this.open(operation, method, url, request))
  }

  /**
   * Sends a request to `url` and returns the answer with its body unread, for streaming a
   * download; throws {@link StoreError} for an error answer.
   */
  async open(operation: string, method: string, url: string, request: GcsRequest = {}): Promise<Response> {
    const first = await this.attempt(operation, method, url, request)
    let response = first.response
    if (response.status === 401 && first.sent && this.credentials?.refreshable) {
      // A token can be revoked or expire early: one fresh token settles whether it was the token.
      // Another request may have renewed it meanwhile; then that one is the fresh token.
      await response.body?.cancel()
      if ((await this.credentials.get()).token === first.sent) this.credentials.invalidate()
      response = (await this.attempt(operation, method, url, request)).response
    }
    if (response.ok || request.accept?.includes(response.status)) return response
    const text = await response.text()
    let body: GcsErrorBody = {}
    try {
      body = JSON.parse(text)
    } catch {
      // Proxies and emulators may answer in plain text; the status still says what happened.
    }
    const code = body.error?.errors?.[0]?.reason ?? `HTTP${response.status}`
    const message = body.error?.message ?? (text.split('\n')[0] || response.statusText)
    throw new StoreError(response.status, code, message, operation)
  }

  /** Sends the request once with the current token; `sent` is that token. */
  private async attempt(
    operation: string,
    method: string,
    url: string,
    request: GcsRequest,
  ): Promise<{ response: Response; sent?: Secret }> {
    const headers: Record<string, string> = { ...request.headers }
    const sent = this.credentials ? (await this.credentials.get()).token : undefined
    if (sent) headers.authorization = `Bearer ${sent.reveal()}`
    // 308 is "resume incomplete" to an upload session, never a redirect to follow.
    const response = await fetchOrThrow(operation, url, {
      method,
      headers,
      body: request.body,
      redirect: 'manual',
    })
    return { response, sent }
  }
}
