/**
 * A small S3 client on fetch: requests signed with SigV4 by aws4fetch (which adds
 * X-Amz-Security-Token for session credentials), path-style or virtual-hosted addressing, and
 * S3's XML errors turned into typed failures. It knows HTTP, not config or the pipeline.
 */
import { createHash } from 'node:crypto'
import { AwsClient } from 'aws4fetch'
import type { AwsCredentials, CredentialProvider } from '../../auth/credentials.ts'
import { encodePath, fetchOrThrow, StoreError, xmlTag } from '../http.ts'

/** Where the bucket is and how to address it. */
export interface S3Location {
  /** Scheme and host (and port) of the S3 API, e.g. `https://s3.eu-north-1.amazonaws.com`. */
  endpoint: string
  region: string
  bucket: string
  /** `endpoint/bucket/key` instead of `bucket.endpoint/key`. */
  pathStyle: boolean
}

/** Request options. */
export interface S3Request {
  query?: Record<string, string>
  body?: Uint8Array | string
  headers?: Record<string, string>
}

/** Signs and sends S3 requests for one bucket. */
export class S3Client {
  constructor(readonly location: S3Location, readonly credentials: CredentialProvider<AwsCredentials>) {}

  /** The URL of an object (or of the bucket, for an empty key). */
  url(key: string, query: Record<string, string> = {}): string {
    const base = new URL(this.location.endpoint)
    const path = this.location.pathStyle
      ? `/${this.location.bucket}/${encodePath(key)}`
      : `/${encodePath(key)}`
    const host = this.location.pathStyle ? base.host : `${this.location.bucket}.${base.host}`
    const search = new URLSearchParams(query).toString().replace(/=(&|$)/g, '$1')
    return `${base.protocol}//${host}${path}${search ? `?${search}` : ''}`
  }

  /** Sends a signed request; throws {@link StoreError} for an error answer (including 200 with an error body). */
  async send(operation: string, method: string, key: string, request: S3Request = {}): Promise<Response> {
    const creds = await this.credentials.get()
    const signer = new AwsClient({
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey.reveal(),
      sessionToken: creds.sessionToken?.reveal(),
      service: 's3',
      region: this.location.region,
    })
    // A body is signed by its SHA-256, which every SigV4 store checks before it keeps the bytes
    // (XAmzContentSHA256Mismatch): the integrity check Content-MD5 gave, at a quarter of the CPU
    // (SHA-256 runs in hardware, MD5 does not; 959 MB of CSV to MinIO took 3.2 s less CPU).
    // aws4fetch is not given the body: it would build a Request holding a copy of it.
    const headers = { ...request.headers }
    if (request.body !== undefined) {
      headers['x-amz-content-sha256'] = createHash('sha256').update(request.body).digest('hex')
    }
    const signed = await signer.sign(this.url(key, request.query), { method, headers })
    const response = await fetchOrThrow(operation, signed.url, {
      method,
      headers: signed.headers,
      body: request.body,
    })
    if (response.ok && method !== 'POST') return response
    const text = await response.text()
    if (response.ok && !text.includes('<Error>')) {
      return new Response(text, { status: response.status, headers: response.headers })
    }
    // HEAD answers carry no body: name the error from the status.
    const statusCode = response.status === 404
      ? (key === '' ? 'NoSuchBucket' : 'NoSuchKey')
      : response.status === 403
      ? 'AccessDenied'
      : `HTTP${response.status}`
    const code = xmlTag(text, 'Code') ?? statusCode
    throw new StoreError(response.status, code, xmlTag(text, 'Message') ?? response.statusText, operation)
  }
}
