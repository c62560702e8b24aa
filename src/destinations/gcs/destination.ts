/**
 * A Google Cloud Storage bucket as a destination: small objects in one media upload, larger
 * ones through a resumable upload session, chunk after chunk, resumed from the committed offset
 * after a failure and cancelled on abort. A resumable upload makes its object only with the
 * last chunk, so nothing is visible before the stream closes.
 */
import { maskEmail } from '../../auth/gcp/source.ts'
import type { CredentialInfo, Destination, ObjectInfo, Versioned } from '../destination.ts'
import { storeFailure, type StoreTarget, type Verdict } from '../failure.ts'
import { StoreError, transient } from '../../http/request.ts'
import { multipartWritable, type PartUpload } from '../multipart.ts'
import { listUnder, streamObject } from '../objects.ts'
import { DEFAULT_RETRY, type RetryPolicy, STORE_RETRY, withRetry } from '../../http/retry.ts'
import type { GcsClient, GcsRequest } from './client.ts'
import { GCS_CHUNK_MULTIPLE, ResumableSession } from './resumable.ts'

/** Where an anonymous destination's credentials "come from", for messages and `doctor`. */
const ANONYMOUS = 'anonymous (allow_anonymous)'

/**
 * Requests whose 404 means the bucket is missing: objects are created, not looked up (a 404 to
 * a session means it expired; to a delete, that the object is already gone).
 */
const BUCKET_OPERATIONS = new Set(['GetBucket', 'UploadObject', 'StartResumableUpload', 'ListObjects'])

/** What to check when GCS refuses the credential, by the answer's status. */
function authHint(client: GcsClient, status: number | undefined): string {
  const credentials = client.credentials
  if (!credentials) {
    return 'the bucket needs credentials: drop allow_anonymous (rivet then uses credentials_file, ' +
      'or Application Default Credentials)'
  }
  if (status === 403) {
    return 'the identity may not use the bucket: it needs storage.objects.create, get, list and delete ' +
      '(e.g. roles/storage.objectUser)'
  }
  return credentials.refreshable
    ? `rivet fetched a fresh token and it was refused too: ${credentials.renew}`
    : credentials.renew
}

function classify(error: StoreError): Verdict {
  if (error.status === 404 && BUCKET_OPERATIONS.has(error.operation)) return 'missing'
  return error.status === 401 || error.status === 403 ? 'auth' : 'other'
}

/** A bucket + prefix, rooted at one export's directory. */
export class GcsDestination implements Destination {
  readonly singleStream = false
  readonly location: string
  /** Chunk size: the configured part size rounded up to a multiple of 256 KiB, as GCS requires. */
  private readonly chunkSize: number

  constructor(
    private readonly client: GcsClient,
    /** Object name prefix of the export's directory, without a trailing slash. */
    private readonly root: string,
    partSize: number,
  ) {
    this.location = `gs://${client.location.bucket}/${root}`
    this.chunkSize = Math.ceil(partSize / GCS_CHUNK_MULTIPLE) * GCS_CHUNK_MULTIPLE
  }

  private name(path: string): string {
    return this.root ? `${this.root}/${path}` : path
  }

  private target(error: unknown): StoreTarget {
    const { bucket, endpoint } = this.client.location
    return {
      what: `GCS bucket ${bucket}`,
      endpoint,
      credentials: this.client.credentials?.source ?? ANONYMOUS,
      authHint: authHint(this.client, error instanceof StoreError ? error.status : undefined),
      missingHint: 'create it or fix destination.bucket',
    }
  }

  private fail(error: unknown) {
    return storeFailure(error, this.target(error), classify)
  }

  private async send(
    operation: string,
    method: string,
    url: string,
    request: GcsRequest = {},
    policy: RetryPolicy = STORE_RETRY,
  ) {
    try {
      return await withRetry(() => this.client.send(operation, method, url, request), transient, policy)
    } catch (error) {
      throw this.fail(error)
    }
  }

  async credentials(): Promise<CredentialInfo> {
    const provider = this.client.credentials
    if (!provider) return { source: ANONYMOUS }
    const { expiresAt, identity } = await provider.get()
    return {
      source: provider.source,
      identity: identity ? maskEmail(identity) : undefined,
      expiresAt,
      refreshable: provider.refreshable,
      renew: provider.renew,
    }
  }

  async check(): Promise<void> {
    await this.send('GetBucket', 'GET', this.client.bucketUrl(), {}, DEFAULT_RETRY)
  }

  create(path: string): WritableStream<Uint8Array> {
    const session = new ResumableSession(this.client, this.name(path))
    const failing = <T>(step: Promise<T>) => step.catch((error) => Promise.reject(this.fail(error)))
    const upload: PartUpload = {
      putWhole: (body) => this.put(path, body),
      begin: () => failing(session.begin()),
      uploadPart: (_index, offset, body, last) => failing(session.upload(offset, body, last)),
      // The last chunk, sent with the object's size, has already made the object.
      complete: () => Promise.resolve(),
      abort: () => session.cancel(),
    }
    return multipartWritable(upload, { partSize: this.chunkSize, concurrency: 1 })
  }

  async put(path: string, bytes: Uint8Array): Promise<void> {
    await this.send('UploadObject', 'POST', this.client.uploadUrl(this.name(path), 'media'), { body: bytes })
  }

  async readVersioned(path: string): Promise<Versioned | undefined> {
    const url = this.client.objectUrl(this.name(path))
    try {
      const meta = JSON.parse((await this.client.send('GetObject', 'GET', url)).text) as {
        generation: string
      }
      // Reading that generation, not the newest, keeps the bytes and the version together.
      const media = await this.client.send(
        'GetObject',
        'GET',
        `${url}?alt=media&generation=${meta.generation}`,
      )
      return { bytes: new TextEncoder().encode(media.text), version: String(meta.generation) }
    } catch (error) {
      if (error instanceof StoreError && error.status === 404) return undefined
      throw this.fail(error)
    }
  }

  async putIfVersion(
    path: string,
    bytes: Uint8Array,
    version: string | undefined,
  ): Promise<string | undefined> {
    // Generation 0 matches only an object that does not exist.
    const url = `${this.client.uploadUrl(this.name(path), 'media')}&ifGenerationMatch=${version ?? '0'}`
    try {
      // A retry after a lost answer may find its own write: the state store reads it back.
      const answer = await withRetry(
        () => this.client.send('UploadObject', 'POST', url, { body: bytes }),
        transient,
        STORE_RETRY,
      )
      return String((JSON.parse(answer.text) as { generation: string }).generation)
    } catch (error) {
      if (error instanceof StoreError && error.status === 412) return undefined
      throw this.fail(error)
    }
  }

  async remove(path: string): Promise<void> {
    try {
      await withRetry(
        () => this.client.send('DeleteObject', 'DELETE', this.client.objectUrl(this.name(path))),
        transient,
        STORE_RETRY,
      )
    } catch (error) {
      if (error instanceof StoreError && error.status === 404) return
      throw this.fail(error)
    }
  }

  async list(dir: string): Promise<string[]> {
    return (await this.listObjects(dir)).map((o) => o.path)
  }

  read(path: string): Promise<ReadableStream<Uint8Array> | undefined> {
    return streamObject(
      () =>
        withRetry(
          () => this.client.open('GetObject', 'GET', this.client.mediaUrl(this.name(path))),
          transient,
          STORE_RETRY,
        ),
      // GCS answers 404 alike for a missing object and a missing bucket; list() and check()
      // tell the bucket apart, so here it means the object.
      (error) => error instanceof StoreError && error.status === 404,
      (error) => this.fail(error),
    )
  }

  listObjects(dir: string): Promise<ObjectInfo[]> {
    return listUnder(this.root, dir, async (prefix, token) => {
      const { text } = await this.send('ListObjects', 'GET', this.client.listUrl(prefix, token))
      const page = JSON.parse(text) as {
        items?: { name: string; size: string; updated: string }[]
        nextPageToken?: string
      }
      const objects = (page.items ?? []).map((item) => ({
        name: item.name,
        size: Number(item.size),
        modified: new Date(item.updated),
      }))
      return { objects, next: page.nextPageToken }
    })
  }
}
