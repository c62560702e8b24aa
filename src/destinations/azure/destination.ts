/**
 * An Azure Blob container as a destination: small objects in one Put Blob, larger ones as
 * blocks (Put Block, several at once) committed by one Put Block List, each body with a
 * Content-MD5 the service checks. Until the block list is committed no blob is visible, so an
 * aborted upload leaves only uncommitted blocks, which Azure discards by itself after a week.
 */
import { xmlElements, xmlTag, xmlTexts } from '../../http/xml.ts'
import { contentMd5, StoreError, transient, versionCondition } from '../../http/request.ts'
import type { CredentialInfo, Destination, ObjectInfo, Versioned } from '../destination.ts'
import { storeFailure, type StoreTarget, type Verdict } from '../failure.ts'
import { multipartWritable, type PartUpload } from '../multipart.ts'
import { listUnder, streamObject } from '../objects.ts'
import { STORE_RETRY, withRetry } from '../../http/retry.ts'
import { AzureBlobClient, type AzureRequest } from './client.ts'

/** Azure caps a blob at 50,000 blocks; block sizes double every 5,000 blocks to stay under it. */
const GROW_AFTER = 5000

/**
 * Answers to a valid SAS that may not do this one operation: a container-scoped SAS cannot read
 * the container's properties, yet can upload.
 */
const SAS_SCOPE_CODES = new Set(['AuthorizationPermissionMismatch', 'AuthorizationResourceTypeMismatch'])

/** Block size and parallelism of block uploads. */
export interface AzureUploadOptions {
  partSize: number
  concurrency: number
}

/** Block ids must all have the same length within a blob: a zero-padded index, base64. */
function blockId(index: number): string {
  return btoa(`block-${String(index).padStart(6, '0')}`)
}

/** What `doctor` and messages call requests without credentials. */
const ANONYMOUS = 'anonymous (allow_anonymous)'

function classify(error: StoreError): Verdict {
  if (error.code === 'ContainerNotFound') return 'missing'
  return error.status === 401 || error.status === 403 ? 'auth' : 'other'
}

/** A container + prefix, rooted at one export's directory. */
export class AzureDestination implements Destination {
  readonly singleStream = false
  readonly location: string

  constructor(
    private readonly client: AzureBlobClient,
    /** Blob name prefix of the export's directory, without a trailing slash. */
    private readonly root: string,
    private readonly upload: AzureUploadOptions,
  ) {
    const { endpoint, container } = client.location
    this.location = `${endpoint.replace(/\/+$/, '')}/${container}/${root}`
  }

  private blob(path: string): string {
    return this.root ? `${this.root}/${path}` : path
  }

  private target(): StoreTarget {
    const { account, container, endpoint } = this.client.location
    const provider = this.client.credentials
    return {
      what: `Azure container ${container} (account ${account})`,
      endpoint,
      credentials: provider?.source ?? ANONYMOUS,
      authHint: provider?.renew ??
        'the container does not allow anonymous access: set a credential, or make the container public',
      missingHint: 'create it or fix destination.container',
    }
  }

  private fail(error: unknown) {
    return storeFailure(error, this.target(), classify)
  }

  private async send(operation: string, method: string, blob: string, request: AzureRequest = {}) {
    try {
      return await withRetry(() => this.client.send(operation, method, blob, request), transient, STORE_RETRY)
    } catch (error) {
      throw this.fail(error)
    }
  }

  async credentials(): Promise<CredentialInfo> {
    const provider = this.client.credentials
    if (!provider) return { source: ANONYMOUS }
    const credentials = await provider.get()
    return {
      source: provider.source,
      identity: provider.identity,
      expiresAt: credentials.kind === 'shared-key' ? undefined : credentials.expiresAt,
      refreshable: provider.refreshable,
      renew: provider.renew,
    }
  }

  async check(): Promise<void> {
    try {
      await withRetry(
        () => this.client.send('GetContainerProperties', 'GET', '', { query: { restype: 'container' } }),
        transient,
      )
    } catch (error) {
      // The signature was accepted; whether the SAS may write shows on the first upload.
      if (error instanceof StoreError && SAS_SCOPE_CODES.has(error.code)) return
      throw this.fail(error)
    }
  }

  create(path: string): WritableStream<Uint8Array> {
    const blob = this.blob(path)
    const upload: PartUpload = {
      putWhole: (body) => this.put(path, body),
      // Blocks need no upload session: they attach to the blob's name.
      begin: () => Promise.resolve(),
      uploadPart: async (index, _offset, body) => {
        await this.send('PutBlock', 'PUT', blob, {
          query: { comp: 'block', blockid: blockId(index) },
          body,
          headers: { 'content-md5': contentMd5(body) },
        })
      },
      complete: async (parts) => {
        const ids = Array.from({ length: parts }, (_, i) => `<Latest>${blockId(i)}</Latest>`).join('')
        await this.send('PutBlockList', 'PUT', blob, {
          query: { comp: 'blocklist' },
          body: new TextEncoder().encode(
            `<?xml version="1.0" encoding="utf-8"?><BlockList>${ids}</BlockList>`,
          ),
        })
      },
      // Uncommitted blocks cannot be deleted and are invisible; Azure drops them after a week.
      abort: () => Promise.resolve(),
    }
    return multipartWritable(upload, {
      partSize: this.upload.partSize,
      concurrency: this.upload.concurrency,
      growAfter: GROW_AFTER,
    })
  }

  async put(path: string, bytes: Uint8Array): Promise<void> {
    await this.send('PutBlob', 'PUT', this.blob(path), {
      body: bytes,
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-md5': contentMd5(bytes) },
    })
  }

  async readVersioned(path: string): Promise<Versioned | undefined> {
    try {
      const response = await this.client.open('GetBlob', 'GET', this.blob(path))
      return {
        bytes: new Uint8Array(await response.arrayBuffer()),
        version: response.headers.get('etag') ?? '',
      }
    } catch (error) {
      if (error instanceof StoreError && error.code === 'BlobNotFound') return undefined
      throw this.fail(error)
    }
  }

  async putIfVersion(
    path: string,
    bytes: Uint8Array,
    version: string | undefined,
  ): Promise<string | undefined> {
    try {
      // A retry after a lost answer may find its own write: the state store reads it back.
      const answer = await withRetry(
        () =>
          this.client.send('PutBlob', 'PUT', this.blob(path), {
            body: bytes,
            headers: {
              'x-ms-blob-type': 'BlockBlob',
              'content-md5': contentMd5(bytes),
              ...versionCondition(version),
            },
          }),
        transient,
        STORE_RETRY,
      )
      return answer.headers.get('etag') ?? ''
    } catch (error) {
      // 412 ConditionNotMet; 409 BlobAlreadyExists for If-None-Match: * on some versions.
      if (error instanceof StoreError && (error.status === 412 || error.status === 409)) return undefined
      throw this.fail(error)
    }
  }

  async remove(path: string): Promise<void> {
    try {
      await withRetry(() => this.client.send('DeleteBlob', 'DELETE', this.blob(path)), transient, STORE_RETRY)
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
      () => withRetry(() => this.client.open('GetBlob', 'GET', this.blob(path)), transient, STORE_RETRY),
      (error) => error instanceof StoreError && error.code === 'BlobNotFound',
      (error) => this.fail(error),
    )
  }

  listObjects(dir: string): Promise<ObjectInfo[]> {
    return listUnder(this.root, dir, async (prefix, marker) => {
      const query: Record<string, string> = { restype: 'container', comp: 'list' }
      if (prefix) query.prefix = prefix
      if (marker) query.marker = marker
      const { text } = await this.send('ListBlobs', 'GET', '', { query })
      const objects = xmlElements(text, 'Blob').map((entry) => ({
        name: xmlTag(entry, 'Name') ?? '',
        size: Number(xmlTag(entry, 'Content-Length')),
        modified: new Date(xmlTag(entry, 'Last-Modified') ?? 0),
      }))
      // An empty NextMarker element ends the listing.
      return { objects, next: xmlTexts(text, 'NextMarker')[0] || undefined }
    })
  }
}
