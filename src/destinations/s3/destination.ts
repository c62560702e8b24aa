/**
 * An S3 bucket (AWS or any S3-compatible store) as a destination: small objects in one PUT,
 * larger ones as a multipart upload (every body signed with its SHA-256), retried with backoff, and
 * aborted on failure or interruption so no incomplete upload is left behind.
 */
import { configError, RivetError } from '../../errors.ts'
import { storeFailure, type StoreTarget } from '../failure.ts'
import { maskKeyId } from '../../auth/credentials.ts'
import type { CredentialInfo, Destination, IncompleteUpload, ObjectInfo, Versioned } from '../destination.ts'
import { xmlElements, xmlTag, xmlTexts } from '../../http/xml.ts'
import { StoreError, transient, versionCondition } from '../../http/request.ts'
import { multipartWritable, type PartUpload } from '../multipart.ts'
import { listPrefix, listUnder, streamObject } from '../objects.ts'
import { DEFAULT_RETRY, type RetryPolicy, STORE_RETRY, withRetry } from '../../http/retry.ts'
import { ExpiredCredentialError, S3Client, WrongRegionError } from './client.ts'

/** S3 caps an upload at 10,000 parts; part sizes double every 1,000 parts to stay under it. */
const GROW_AFTER = 1000

/** Part size and parallelism of multipart uploads. */
export interface S3UploadOptions {
  partSize: number
  concurrency: number
}

const AUTH_CODES = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'AllAccessDisabled',
])

/** Transient failures, plus S3's own codes for "slow down" and "too slow" (sent with a 4xx). */
function retryable(error: unknown): boolean {
  return transient(error) ||
    (error instanceof StoreError && (error.code === 'SlowDown' || error.code === 'RequestTimeout'))
}

/** The S3 error code behind a failed request (send() wraps the answer in a RivetError). */
function s3Code(error: unknown): string | undefined {
  return error instanceof RivetError && error.cause instanceof StoreError ? error.cause.code : undefined
}

/** A bucket + prefix, rooted at one export's directory. */
export class S3Destination implements Destination {
  readonly singleStream = false
  readonly location: string

  constructor(
    private readonly client: S3Client,
    /** Key prefix of the export's directory, without a trailing slash. */
    private readonly root: string,
    private readonly upload: S3UploadOptions,
  ) {
    this.location = `s3://${client.location.bucket}/${root}`
  }

  private key(path: string): string {
    return this.root ? `${this.root}/${path}` : path
  }

  /** What a user reads for a failed request: exit code, where, what to do. */
  private fail(error: unknown): RivetError {
    const bucket = this.client.location.bucket
    if (error instanceof WrongRegionError) {
      return configError(
        `S3 bucket ${bucket} is in region ${error.bucketRegion}, not ${error.configured.name} ` +
          `(from ${error.configured.from}); set region: ${error.bucketRegion} in the destination, ` +
          `or change ${error.configured.from}`,
        'CONFIG_WRONG_REGION',
      )
    }
    const provider = this.client.credentials
    const target: StoreTarget = {
      what: `S3 bucket ${bucket}`,
      endpoint: this.client.endpoint,
      credentials: provider.source,
      authHint: 'check the key, secret and session token, and the bucket policy',
      missingHint: 'create it or fix destination.bucket',
      // S3 answers the same for an expired, revoked or altered session token, so this is
      // AUTH_EXPIRED (refreshing is the fix in every case) and the message says so.
      expired: (refused) => {
        const { sentToken, refreshed } = refused as ExpiredCredentialError
        const what = sentToken ? 'session token' : 'credential'
        const fix = refreshed
          ? `rivet refreshed it and the new one was refused too: check the role or profile behind ${provider.source}`
          : 'these keys cannot refresh themselves: export fresh ones (e.g. `aws configure export-credentials --format env`) ' +
            'or use a profile or role rivet can refresh'
        return `the ${what} from ${provider.source} is expired or invalid (${refused.code}: ${refused.message}); ` +
          `reported as AUTH_EXPIRED because S3 answers the same for an expired, revoked or altered token; ${fix}`
      },
    }
    return storeFailure(error, target, (refused) => {
      if (refused.code === 'NoSuchBucket') return 'missing'
      if (refused instanceof ExpiredCredentialError) return 'expired'
      return AUTH_CODES.has(refused.code) || refused.status === 401 || refused.status === 403
        ? 'auth'
        : 'other'
    })
  }

  private async send(
    operation: string,
    method: string,
    key: string,
    request: Parameters<S3Client['send']>[3],
    policy: RetryPolicy = STORE_RETRY,
  ) {
    try {
      return await withRetry(() => this.client.send(operation, method, key, request), retryable, policy)
    } catch (error) {
      throw this.fail(error)
    }
  }

  async credentials(): Promise<CredentialInfo> {
    const provider = this.client.credentials
    try {
      const creds = await provider.get()
      return {
        source: provider.source,
        identity: maskKeyId(creds.accessKeyId),
        expiresAt: creds.expiresAt,
        refreshable: provider.refreshable,
        renew: 'export fresh keys (e.g. `aws configure export-credentials --format env`) ' +
          'or use a profile or role rivet can refresh',
      }
    } catch (error) {
      throw this.fail(error)
    }
  }

  async check(): Promise<void> {
    // A GET rather than HeadBucket (same s3:ListBucket permission): a HEAD answer has no body,
    // so an expired or altered session token would look like any other AccessDenied.
    const response = await this.send('ListObjectsV2', 'GET', '', {
      query: { 'list-type': '2', 'max-keys': '0' },
    }, DEFAULT_RETRY)
    await response.text()
  }

  create(path: string): WritableStream<Uint8Array> {
    const key = this.key(path)
    let uploadId = ''
    const etags: string[] = []
    const upload: PartUpload = {
      putWhole: async (body) => {
        await this.send('PutObject', 'PUT', key, { body })
      },
      begin: async () => {
        const response = await this.send('CreateMultipartUpload', 'POST', key, { query: { uploads: '' } })
        uploadId = xmlTag(await response.text(), 'UploadId') ?? ''
        if (!uploadId) throw this.fail(new Error('CreateMultipartUpload returned no UploadId'))
      },
      uploadPart: async (index, _offset, body) => {
        const response = await this.send('UploadPart', 'PUT', key, {
          query: { partNumber: String(index + 1), uploadId },
          body,
        })
        etags[index] = response.headers.get('etag') ?? ''
      },
      complete: async (parts) => {
        const list = Array.from(
          { length: parts },
          (_, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${etags[i]}</ETag></Part>`,
        ).join('')
        await this.send('CompleteMultipartUpload', 'POST', key, {
          query: { uploadId },
          body: `<CompleteMultipartUpload>${list}</CompleteMultipartUpload>`,
        })
      },
      abort: async () => {
        await this.send('AbortMultipartUpload', 'DELETE', key, { query: { uploadId } }).catch(() => {})
      },
    }
    return multipartWritable(upload, {
      partSize: this.upload.partSize,
      concurrency: this.upload.concurrency,
      growAfter: GROW_AFTER,
    })
  }

  async put(path: string, bytes: Uint8Array): Promise<void> {
    await this.send('PutObject', 'PUT', this.key(path), {
      body: bytes,
    })
  }

  async readVersioned(path: string): Promise<Versioned | undefined> {
    try {
      const response = await this.send('GetObject', 'GET', this.key(path), {})
      return {
        bytes: new Uint8Array(await response.arrayBuffer()),
        version: response.headers.get('etag') ?? '',
      }
    } catch (error) {
      if (s3Code(error) === 'NoSuchKey') return undefined
      throw error
    }
  }

  async putIfVersion(
    path: string,
    bytes: Uint8Array,
    version: string | undefined,
  ): Promise<string | undefined> {
    try {
      const response = await this.send('PutObject', 'PUT', this.key(path), {
        body: bytes,
        headers: versionCondition(version),
      })
      return response.headers.get('etag') ?? ''
    } catch (error) {
      // 409 is S3's answer to two conditional writes of one key in flight at once.
      if (s3Code(error) === 'PreconditionFailed' || s3Code(error) === 'ConditionalRequestConflict') {
        return undefined
      }
      throw error
    }
  }

  async remove(path: string): Promise<void> {
    await this.send('DeleteObject', 'DELETE', this.key(path), {})
  }

  async list(dir: string): Promise<string[]> {
    return (await this.listObjects(dir)).map((o) => o.path)
  }

  read(path: string): Promise<ReadableStream<Uint8Array> | undefined> {
    return streamObject(
      () => this.send('GetObject', 'GET', this.key(path), {}),
      (error) => s3Code(error) === 'NoSuchKey',
      (error) => this.fail(error),
    )
  }

  listObjects(dir: string): Promise<ObjectInfo[]> {
    return listUnder(this.root, dir, async (prefix, token) => {
      const query: Record<string, string> = { 'list-type': '2' }
      if (prefix) query.prefix = prefix
      if (token) query['continuation-token'] = token
      const xml = await (await this.send('ListObjectsV2', 'GET', '', { query })).text()
      const objects = xmlElements(xml, 'Contents').map((entry) => ({
        name: xmlTag(entry, 'Key') ?? '',
        size: Number(xmlTag(entry, 'Size')),
        modified: new Date(xmlTag(entry, 'LastModified') ?? 0),
      }))
      return { objects, next: xmlTexts(xml, 'NextContinuationToken')[0] }
    })
  }

  /**
   * Multipart uploads begun under `dir` and never completed or aborted. AWS filters them by any
   * key prefix; MinIO only by none or by an object's exact key, and answers any other prefix with
   * an empty list. So a prefix that finds none is asked again without one and filtered here: one
   * more listing of the bucket's uploads when there are truly none, and correct on both.
   */
  async listIncomplete(dir: string): Promise<IncompleteUpload[]> {
    const prefix = listPrefix(this.root, dir)
    let uploads = await this.uploadsWith(prefix)
    if (!uploads.length && prefix) {
      uploads = (await this.uploadsWith('')).filter((u) => u.key.startsWith(prefix))
    }
    const rootPrefix = this.root ? `${this.root}/` : ''
    return uploads.map((u) => ({ path: u.key.slice(rootPrefix.length), id: u.id, started: u.started }))
  }

  /** Every page of ListMultipartUploads for a key prefix (empty: the whole bucket). */
  private async uploadsWith(prefix: string): Promise<{ key: string; id: string; started: Date }[]> {
    const out: { key: string; id: string; started: Date }[] = []
    let markers: Record<string, string> = {}
    for (;;) {
      const query: Record<string, string> = { uploads: '', ...markers }
      if (prefix) query.prefix = prefix
      const xml = await (await this.send('ListMultipartUploads', 'GET', '', { query })).text()
      for (const entry of xmlElements(xml, 'Upload')) {
        out.push({
          key: xmlTag(entry, 'Key') ?? '',
          id: xmlTag(entry, 'UploadId') ?? '',
          started: new Date(xmlTag(entry, 'Initiated') ?? 0),
        })
      }
      if (xmlTag(xml, 'IsTruncated') !== 'true') return out
      markers = {
        'key-marker': xmlTag(xml, 'NextKeyMarker') ?? '',
        'upload-id-marker': xmlTag(xml, 'NextUploadIdMarker') ?? '',
      }
    }
  }

  async abortIncomplete(upload: IncompleteUpload): Promise<void> {
    try {
      await this.send('AbortMultipartUpload', 'DELETE', this.key(upload.path), {
        query: { uploadId: upload.id },
      })
    } catch (error) {
      if (s3Code(error) !== 'NoSuchUpload') throw error
    }
  }
}
