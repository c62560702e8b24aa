/**
 * A small S3 client on fetch: requests signed with SigV4 by aws4fetch (which adds
 * X-Amz-Security-Token for session credentials), path-style or virtual-hosted addressing, the
 * bucket's own region found from S3's answers when none is configured, and S3's XML errors
 * turned into typed failures. It knows HTTP, not config or the pipeline.
 */
import { createHash } from 'node:crypto'
import { AwsClient } from 'aws4fetch'
import type { AwsCredentials, CredentialProvider } from '../../auth/credentials.ts'
import type { Logger } from '../../log/logger.ts'
import { xmlTag } from '../../http/xml.ts'
import { encodePath, fetchOrThrow, StoreError } from '../../http/request.ts'

/** Where the bucket is and how to address it. */
export interface S3Location {
  /**
   * Scheme and host (and port) of the S3 API; when absent, AWS's endpoint for the region
   * (`https://s3.<region>.amazonaws.com`).
   */
  endpoint?: string
  /**
   * The region requests are signed for and the setting that gave it; when absent, the bucket's
   * own region, found from the first answer that names it (us-east-1 until then).
   */
  region?: { name: string; from: string }
  bucket: string
  /** `endpoint/bucket/key` instead of `bucket.endpoint/key`. */
  pathStyle: boolean
}

/** Answers that mean the session credential expired or is no longer valid (not a wrong key). */
const EXPIRED_CODES = new Set([
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'RequestExpired',
  'InvalidTokenId',
])

/**
 * Whether an S3 answer says the credential itself expired or was revoked. With a session token,
 * an unknown access key means the temporary key is gone (MinIO, STS).
 */
function credentialExpired(error: StoreError, sentToken: boolean): boolean {
  return EXPIRED_CODES.has(error.code) || (sentToken && error.code === 'InvalidAccessKeyId')
}

/** S3 refused the credential as expired or revoked, and it could not be renewed, or was and failed again. */
export class ExpiredCredentialError extends StoreError {
  constructor(
    refused: StoreError,
    /** Whether the request carried a session token. */
    readonly sentToken: boolean,
    /** Whether a fresh credential was fetched and refused too. */
    readonly refreshed: boolean,
  ) {
    super(refused.status, refused.code, refused.message, refused.operation)
  }
}

/** Where the process found each bucket's region (bucket regions do not change). */
const bucketRegions = new Map<string, string>()

/** The region S3 signs for when nothing names one: AWS's first, where the global endpoint is. */
const FALLBACK_REGION = 'us-east-1'

/**
 * S3 answered that the bucket lives in another region than the one configured: a request signed
 * for the wrong region never succeeds, so this is final.
 */
export class WrongRegionError extends StoreError {
  constructor(
    readonly bucketRegion: string,
    readonly configured: { name: string; from: string },
    status: number,
    code: string,
    operation: string,
  ) {
    super(status, code, `the bucket is in ${bucketRegion}, not ${configured.name}`, operation)
  }
}

/** Request options. */
export interface S3Request {
  query?: Record<string, string>
  body?: Uint8Array | string
  headers?: Record<string, string>
}

/** Signs and sends S3 requests for one bucket. */
export class S3Client {
  /** Where a found region is remembered: the endpoint (or AWS) and the bucket. */
  private readonly regionKey: string

  constructor(
    readonly location: S3Location,
    readonly credentials: CredentialProvider<AwsCredentials>,
    /** Told (debug) which region a bucket was found in. */
    private readonly logger?: Logger,
  ) {
    this.regionKey = `${location.endpoint ?? 'aws'} ${location.bucket}`
  }

  /** The region requests are signed for now. */
  get region(): string {
    return this.location.region?.name ?? bucketRegions.get(this.regionKey) ?? FALLBACK_REGION
  }

  /** Scheme and host (and port) of the S3 API requests go to now. */
  get endpoint(): string {
    return this.location.endpoint ?? `https://s3.${this.region}.amazonaws.com`
  }

  /** The URL of an object (or of the bucket, for an empty key). */
  url(key: string, query: Record<string, string> = {}): string {
    const base = new URL(this.endpoint)
    const path = this.location.pathStyle
      ? `/${this.location.bucket}/${encodePath(key)}`
      : `/${encodePath(key)}`
    const host = this.location.pathStyle ? base.host : `${this.location.bucket}.${base.host}`
    const search = new URLSearchParams(query).toString().replace(/=(&|$)/g, '$1')
    return `${base.protocol}//${host}${path}${search ? `?${search}` : ''}`
  }

  /**
   * Sends a signed request; throws {@link StoreError} for an error answer (including 200 with an
   * error body). A request refused for an expired or revoked session is sent once more with a
   * fresh credential when the provider can renew it. An answer naming another region for the
   * bucket (`x-amz-bucket-region`, on the 301 or 400 S3 gives a request signed for the wrong
   * one) is followed once when no region was configured, as the AWS SDKs do, and is a
   * {@link WrongRegionError} when one was.
   */
  async send(operation: string, method: string, key: string, request: S3Request = {}): Promise<Response> {
    const sent = await this.credentials.get()
    const sentToken = Boolean(sent.sessionToken)
    const expired = (error: unknown) => error instanceof StoreError && credentialExpired(error, sentToken)
    try {
      return await this.inRegion(sent, operation, method, key, request)
    } catch (error) {
      if (!expired(error)) throw error
      if (!this.credentials.refreshable) {
        throw new ExpiredCredentialError(error as StoreError, sentToken, false)
      }
      // A session can be revoked or expire early: one fresh credential settles whether it was
      // the credential. Another request may have renewed it meanwhile; then that one is fresh.
      if (await this.credentials.get() === sent) this.credentials.invalidate()
      try {
        return await this.inRegion(await this.credentials.get(), operation, method, key, request)
      } catch (again) {
        throw expired(again) ? new ExpiredCredentialError(again as StoreError, sentToken, true) : again
      }
    }
  }

  /** Sends the request signed for the bucket's region, following S3 to it when none was configured. */
  private async inRegion(
    creds: AwsCredentials,
    operation: string,
    method: string,
    key: string,
    request: S3Request,
  ): Promise<Response> {
    try {
      return await this.sendIn(creds, this.region, operation, method, key, request)
    } catch (error) {
      if (!(error instanceof RegionAnswer)) throw error
      const configured = this.location.region
      if (configured) {
        throw new WrongRegionError(error.bucketRegion, configured, error.status, error.code, operation)
      }
      bucketRegions.set(this.regionKey, error.bucketRegion)
      this.logger?.debug(
        `S3 bucket ${this.location.bucket} is in region ${error.bucketRegion}; using it for this run`,
      )
      return await this.sendIn(creds, error.bucketRegion, operation, method, key, request)
    }
  }

  /** Sends the request once, signed with `creds` for `region`. */
  private async sendIn(
    creds: AwsCredentials,
    region: string,
    operation: string,
    method: string,
    key: string,
    request: S3Request,
  ): Promise<Response> {
    const signer = new AwsClient({
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey.reveal(),
      sessionToken: creds.sessionToken?.reveal(),
      service: 's3',
      region,
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
    const message = xmlTag(text, 'Message') ?? response.statusText
    const bucketRegion = response.headers.get('x-amz-bucket-region')
    if (bucketRegion && bucketRegion !== region && (response.status === 301 || response.status === 400)) {
      throw new RegionAnswer(bucketRegion, response.status, code, message, operation)
    }
    throw new StoreError(response.status, code, message, operation)
  }
}

/** An answer that names the bucket's region, other than the one the request was signed for. */
class RegionAnswer extends StoreError {
  constructor(
    readonly bucketRegion: string,
    status: number,
    code: string,
    message: string,
    operation: string,
  ) {
    super(status, code, message, operation)
  }
}
