/**
 * Conditional writes, which state beside the data relies on: on every store, a write made on a
 * version someone else has replaced is refused, and "create only if missing" refuses an object
 * that exists. Each store checks the condition itself (MinIO, fake-gcs-server, Azurite).
 */
import { describe, expect, test } from 'bun:test'
import type { DestinationConfig } from '../../src/config/schema.ts'
import { openDestinationAt } from '../../src/destinations/open.ts'
import { AZURITE, newContainer } from '../helpers/azure.ts'
import { tempDir } from '../helpers/files.ts'
import { FAKE_GCS, newBucket as newGcsBucket } from '../helpers/gcs.ts'
import { MINIO, MINIO_ENV, newBucket as newS3Bucket } from '../helpers/s3.ts'

const bytes = (text: string) => new TextEncoder().encode(text)

const stores: [string, () => Promise<DestinationConfig>][] = [
  ['local', () => Promise.resolve({ type: 'local', path: tempDir() })],
  ['s3', async () => ({
    type: 's3',
    bucket: await newS3Bucket('rivet-cas'),
    prefix: '',
    endpoint: MINIO.endpoint,
    region: 'us-east-1',
    access_key_env: 'RIVET_S3_KEY',
    secret_key_env: 'RIVET_S3_SECRET',
  })],
  [
    'gcs',
    async () => ({
      type: 'gcs',
      bucket: await newGcsBucket(),
      prefix: '',
      endpoint: FAKE_GCS,
      allow_anonymous: true,
    }),
  ],
  ['azure', async () => ({
    type: 'azure',
    container: await newContainer(),
    prefix: '',
    account_name: AZURITE.account,
    account_key_env: 'RIVET_AZURE_KEY',
    endpoint: AZURITE.endpoint,
  })],
]

describe.each(stores)('%s', (_name, make) => {
  test('putIfVersion wins once per version; readVersioned returns what the winner wrote', async () => {
    Object.assign(process.env, MINIO_ENV, { RIVET_AZURE_KEY: AZURITE.key })
    const config = await make()
    const root = config.type === 'local' ? config.path : 'cas'
    const destination = openDestinationAt(config, root)
    await destination.check()
    expect(await destination.readVersioned('_rivet/state.json')).toBeUndefined()

    const first = await destination.putIfVersion('_rivet/state.json', bytes('one'), undefined)
    expect(first).toBeString()
    // A second "create if missing" loses.
    expect(await destination.putIfVersion('_rivet/state.json', bytes('two'), undefined)).toBeUndefined()
    const read = await destination.readVersioned('_rivet/state.json')
    expect(new TextDecoder().decode(read!.bytes)).toBe('one')
    expect(read!.version).toBe(first!)

    const second = await destination.putIfVersion('_rivet/state.json', bytes('three'), read!.version)
    expect(second).toBeString()
    expect(second).not.toBe(first)
    // The version read before that write is stale now.
    expect(await destination.putIfVersion('_rivet/state.json', bytes('four'), read!.version)).toBeUndefined()
    const last = await destination.readVersioned('_rivet/state.json')
    expect(new TextDecoder().decode(last!.bytes)).toBe('three')
    expect(last!.version).toBe(second!)
  })
})
