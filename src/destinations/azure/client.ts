/**
 * A small Azure Blob client on fetch: requests to one container, signed with SharedKey, carrying
 * a SAS token or a bearer token, or anonymous, and Azure's error answers (x-ms-error-code, XML
 * body) turned into {@link StoreError}s. A refused bearer token is replaced once. It knows HTTP,
 * not config or the pipeline.
 */
import type { AzureProvider } from '../../auth/azure/source.ts'
import { xmlTag } from '../../http/xml.ts'
import { type Answer, encodePath, fetchOrThrow, readAnswer, StoreError } from '../../http/request.ts'
import { sharedKeyAuthorization } from './sharedkey.ts'

/**
 * The REST API version rivet speaks; Azurite 3.35 and every Azure region accept it, and bearer
 * tokens need 2017-11-09 or later.
 */
const AZURE_API_VERSION = '2021-08-06'

/**
 * Answers to a bearer token that expired or was revoked: Azure says 401 InvalidAuthenticationInfo,
 * Azurite 403 AuthenticationFailed ("The token is expired").
 */
const TOKEN_REFUSED_CODES = new Set(['InvalidAuthenticationInfo', 'AuthenticationFailed'])

/** Where the container is. */
export interface AzureLocation {
  /** The account's blob endpoint: `https://<account>.blob.core.windows.net`, or Azurite's `http://host:port/<account>`. */
  endpoint: string
  account: string
  container: string
}

/** Request options. */
export interface AzureRequest {
  query?: Record<string, string>
  body?: Uint8Array
  /** Header names in lowercase. */
  headers?: Record<string, string>
}

/** Sends authorized requests to one container. */
export class AzureBlobClient {
  constructor(
    readonly location: AzureLocation,
    /** Undefined for anonymous requests. */
    readonly credentials: AzureProvider | undefined,
  ) {}

  /** The URL of a blob (or of the container, for an empty name). */
  url(blob: string, query: Record<string, string> = {}): URL {
    const base = this.location.endpoint.replace(/\/+$/, '')
    const path = blob ? `${this.location.container}/${encodePath(blob)}` : this.location.container
    const url = new URL(`${base}/${path}`)
    for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value)
    return url
  }

  /** Sends a request and reads the answer whole; throws {@link StoreError} for an error answer. */
  async send(operation: string, method: string, blob: string, request: AzureRequest = {}): Promise<Answer> {
    return await readAnswer(await this.open(operation, method, blob, request))
  }

  /**
   * Sends a request and returns the answer with its body unread, for streaming a download;
   * throws {@link StoreError} for an error answer.
   */
  async open(operation: string, method: string, blob: string, request: AzureRequest = {}): Promise<Response> {
    try {
      return await this.attempt(operation, method, blob, request)
    } catch (error) {
      const provider = this.credentials
      const refused = error instanceof StoreError &&
        (error.status === 401 || TOKEN_REFUSED_CODES.has(error.code))
      // Only tokens refresh: a new one may be accepted where the cached one expired early.
      if (!provider?.refreshable || !refused) throw error
      provider.invalidate()
      return await this.attempt(operation, method, blob, request)
    }
  }

  private async attempt(
    operation: string,
    method: string,
    blob: string,
    request: AzureRequest,
  ): Promise<Response> {
    const credentials = await this.credentials?.get()
    const url = this.url(blob, request.query)
    const headers: Record<string, string> = {
      'x-ms-date': new Date().toUTCString(),
      'x-ms-version': AZURE_API_VERSION,
      ...request.headers,
    }
    if (credentials?.kind === 'sas') {
      url.search = `${url.search ? `${url.search}&` : '?'}${credentials.token.reveal()}`
    } else if (credentials?.kind === 'bearer') {
      headers.authorization = `Bearer ${credentials.token.reveal()}`
    } else if (credentials?.kind === 'shared-key') {
      // fetch sets Content-Length itself; it is only added here to be signed.
      const signed = { ...headers, 'content-length': String(request.body?.length ?? 0) }
      headers.authorization = sharedKeyAuthorization(
        this.location.account,
        credentials.key,
        method,
        url,
        signed,
      )
    }
    const response = await fetchOrThrow(operation, url.toString(), { method, headers, body: request.body })
    if (response.ok) return response
    const text = await response.text()
    // x-ms-error-code is always there, even when a HEAD answer has no body.
    const code = response.headers.get('x-ms-error-code') ?? xmlTag(text, 'Code') ?? `HTTP${response.status}`
    // Azure's messages go on with RequestId and Time lines: keep the first.
    const message = (xmlTag(text, 'Message') ?? response.statusText).split('\n')[0]
    throw new StoreError(response.status, code, message, operation)
  }
}
