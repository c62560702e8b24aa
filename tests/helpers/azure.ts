/**
 * The test Azurite (scripts/services.sh) and an independent client for it: @azure/storage-blob,
 * which shares no code with rivet's Azure path, creates containers, signs SAS tokens and reads
 * back what rivet wrote. SAS tokens are signed over fixed times so that they are the same on
 * every run and can be listed among the planted secrets.
 */
import {
  AccountSASPermissions,
  AccountSASResourceTypes,
  AccountSASServices,
  BlobServiceClient,
  ContainerSASPermissions,
  generateAccountSASQueryParameters,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob'

/** Azurite's blob endpoint and its well-known development account. */
export const AZURITE = {
  endpoint: 'http://127.0.0.1:10000/devstoreaccount1',
  account: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
}

/** A well-formed account key that is not Azurite's. */
export const WRONG_AZURE_KEY = btoa('wrong-planted-azure-key-0123456789abcdef')

const credential = new StorageSharedKeyCredential(AZURITE.account, AZURITE.key)
const service = new BlobServiceClient(AZURITE.endpoint, credential)

/** The service version the SAS tokens are signed for, pinned so their signatures never change. */
const SAS_VERSION = '2021-08-06'
const SAS_START = new Date('2020-01-01T00:00:00Z')

/** An account SAS for blobs, valid until `expiresOn`; signed with `key` (default: Azurite's). */
export function accountSas(expiresOn: Date, key = AZURITE.key): string {
  return generateAccountSASQueryParameters(
    {
      version: SAS_VERSION,
      startsOn: SAS_START,
      expiresOn,
      permissions: AccountSASPermissions.parse('rwdlac'),
      services: AccountSASServices.parse('b').toString(),
      resourceTypes: AccountSASResourceTypes.parse('sco').toString(),
    },
    new StorageSharedKeyCredential(AZURITE.account, key),
  ).toString()
}

/**
 * A SAS scoped to one container: it may write blobs (and do what `permissions` allow) but not
 * read the container's properties.
 */
export function containerSas(container: string, expiresOn: Date, permissions = 'racwd'): string {
  return generateBlobSASQueryParameters(
    {
      version: SAS_VERSION,
      containerName: container,
      startsOn: SAS_START,
      expiresOn,
      permissions: ContainerSASPermissions.parse(permissions),
    },
    credential,
  ).toString()
}

/** The container the container-scoped SAS is signed for (a fixed name keeps the SAS fixed). */
export const SAS_CONTAINER = 'rivet-sas-scoped'

/** The container the write-only SAS is signed for. */
export const WRITE_ONLY_CONTAINER = 'rivet-sas-write-only'

/** The SAS tokens the tests plant. */
export const SAS = {
  valid: accountSas(new Date('2099-01-01T00:00:00Z')),
  expired: accountSas(new Date('2021-01-01T00:00:00Z')),
  badSignature: accountSas(new Date('2099-01-01T00:00:00Z'), WRONG_AZURE_KEY),
  container: containerSas(SAS_CONTAINER, new Date('2099-01-01T00:00:00Z')),
  writeOnly: containerSas(WRITE_ONLY_CONTAINER, new Date('2099-01-01T00:00:00Z'), 'cw'),
}

/** The secret part of a SAS token: its signature, URL-encoded (as in the token) and decoded. */
export function sasSignatures(token: string): string[] {
  const encoded = /(?:^|&)sig=([^&]+)/.exec(token)![1]
  return [encoded, decodeURIComponent(encoded)]
}

/** Creates a container (a unique one unless `name` is given) and returns its name. */
export async function newContainer(name?: string): Promise<string> {
  const container = name ?? `rivet-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  await service.getContainerClient(container).createIfNotExists()
  return container
}

/** Names of the committed (visible) blobs in a container, sorted. */
export async function listBlobs(
  container: string,
  options: { uncommitted?: boolean } = {},
): Promise<string[]> {
  const names: string[] = []
  const blobs = service.getContainerClient(container).listBlobsFlat({
    includeUncommitedBlobs: options.uncommitted,
  })
  for await (const blob of blobs) names.push(blob.name)
  return names.sort()
}

/** A blob's bytes, or the bytes from `start` to the end. */
export async function getBlob(container: string, name: string, start?: number): Promise<Uint8Array> {
  return new Uint8Array(
    await service.getContainerClient(container).getBlobClient(name).downloadToBuffer(start ?? 0),
  )
}

/** Writes a blob whole, replacing what is there (to corrupt a part behind rivet's back). */
/** Deletes a blob. */
export async function deleteBlob(container: string, name: string): Promise<void> {
  await service.getContainerClient(container).deleteBlob(name)
}

export async function putBlob(container: string, name: string, bytes: Uint8Array): Promise<void> {
  await service.getContainerClient(container).getBlockBlobClient(name).uploadData(bytes)
}

/** Sizes of a block blob's committed blocks, in order (empty for a blob put whole). */
export async function committedBlockSizes(container: string, name: string): Promise<number[]> {
  const list = await service.getContainerClient(container).getBlockBlobClient(name).getBlockList('committed')
  return (list.committedBlocks ?? []).map((b) => b.size)
}
