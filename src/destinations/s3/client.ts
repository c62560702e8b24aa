/**
 * A small S3 client on fetch: requests signed with SigV4 by aws4fetch (which adds
 * X-Amz-Security-Token for session credentials), path-style or virtual-hosted addressing, and
 * S3's XML errors turned into typed failures. It knows HTTP, not config or the pipeline.
 */
import { AwsClient } from 'aws4fetch'
import type { AwsCredentials, CredentialProvider } from '../../auth/credentials.ts'

/** Where the bucket is and how to address it. */
export interface S3Location {
  /** Scheme and host (and port) of the S3 API, e.g. `https://s3.eu-north-1.amazonaws.com`. */
  endpoint: string
  region: string
  bucket: string
  /** `endpoint/bucket/key` instead of `bucket.endpoint/key`. */
  pathStyle: boolean
}

/** A failed S3 request: the HTTP status and S3's error code (`NoSuchBucket`, ...). */
export class S3Error extends Error {
  override readonly name = 'S3Error'
  constructor(readonly status: number, readonly code: string, message: string, readonly operation: string) {
    super(message)
  }
}

/** A request that never got an answer (refused, reset, DNS, TLS). */
export class S3NetworkError extends Error {
  override readonly name = 'S3NetworkError'
  constructor(readonly operation: string, options: { cause: unknown }) {
    super(`${operation}: ${(options.cause as Error)?.message ?? options.cause}`, options)
  }
}

function tag(xml: string, name: string): string | undefined {
  return new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml)?.[1]
}

/** Encodes an object key for a URL path, keeping its slashes. */
function encodeKey(key: string): string {
  return key.split('/').map((part) =>
    encodeURIComponent(part).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
  ).join('/')
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
    const path = this.location.pathStyle ? `/${this.location.bucket}/${encodeKey(key)}` : `/${encodeKey(key)}`
    const host = this.location.pathStyle ? base.host : `${this.location.bucket}.${base.host}`
    const search = new URLSearchParams(query).toString().replace(/=(&|$)/g, '$1')
    return `${base.protocol}//${host}${path}${search ? `?${search}` : ''}`
  }

  /** Sends a signed request; throws {@link S3Error} for an error answer (including 200 with an error body). */
  async send(operation: string, method: string, key: string, request: S3Request = {}): Promise<Response> {
    const creds = await this.credentials.get()
    const signer = new AwsClient({
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey.reveal(),
      sessionToken: creds.sessionToken?.reveal(),
      service: 's3',
      region: this.location.region,
    })
    const signed = await signer.sign(this.url(key, request.query), {
      method,
      headers: request.headers,
      body: request.body as BodyInit | undefined,
    })
    let response: Response
    try {
      response = await fetch(signed)
    } catch (error) {
      throw new S3NetworkError(operation, { cause: error })
    }
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
    const code = tag(text, 'Code') ?? statusCode
    throw new S3Error(response.status, code, tag(text, 'Message') ?? response.statusText, operation)
  }

  /** The text of a tag in an XML answer, e.g. the UploadId. */
  static field(xml: string, name: string): string | undefined {
    return tag(xml, name)
  }
}
