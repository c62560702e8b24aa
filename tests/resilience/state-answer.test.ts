/**
 * A conditional state write whose answer is lost after the store acted on it: rivet retries it,
 * the retry finds the object changed (by its own first try) and is refused, and the state store
 * reads the object back: its own bytes mean the write took. The run commits (exit 0), with the
 * cursor it wrote, and the next run exports nothing twice. On every object store.
 */
import { describe, expect, test } from 'bun:test'
import * as azure from '../helpers/azure.ts'
import { errorLines, rivet } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import * as gcs from '../helpers/gcs.ts'
import { loseAnswerProxy } from '../helpers/hold-proxy.ts'
import { PG_URL } from '../helpers/pg.ts'
import * as s3 from '../helpers/s3.ts'

const stores = [
  {
    name: 'MinIO',
    upstream: '127.0.0.1:9000',
    destination: (endpoint: string, bucket: string) =>
      `  type: s3\n  bucket: ${bucket}\n  endpoint: ${endpoint}\n  access_key_env: RIVET_S3_KEY\n  secret_key_env: RIVET_S3_SECRET\n`,
    env: s3.MINIO_ENV as Record<string, string>,
    bucket: () => s3.newBucket(),
    read: s3.getObject,
  },
  {
    name: 'fake-gcs-server',
    upstream: '127.0.0.1:4443',
    destination: (endpoint: string, bucket: string) =>
      `  type: gcs\n  bucket: ${bucket}\n  endpoint: ${endpoint}\n  allow_anonymous: true\n`,
    env: {} as Record<string, string>,
    bucket: gcs.newBucket,
    read: gcs.getObject,
  },
  {
    name: 'Azurite',
    upstream: '127.0.0.1:10000',
    destination: (endpoint: string, container: string) =>
      `  type: azure\n  container: ${container}\n  account_name: ${azure.AZURITE.account}\n` +
      `  endpoint: ${endpoint}/${azure.AZURITE.account}\n  account_key_env: RIVET_AZURE_KEY\n`,
    env: { RIVET_AZURE_KEY: azure.AZURITE.key } as Record<string, string>,
    bucket: () => azure.newContainer(),
    read: azure.getBlob,
  },
]

describe.each(stores)('$name: a state write whose answer is lost', (store) => {
  test('the retry recognises its own write: exit 0, the cursor committed, nothing twice', async () => {
    const bucket = await store.bucket()
    // The second state write of the run (after the manifest) commits the cursor.
    const proxy = await loseAnswerProxy(
      store.upstream,
      (m, u) => m !== 'GET' && u.includes('k/_rivet/state'),
      2,
    )
    try {
      const file = writeConfig(
        tempDir(),
        `source: { type: postgres, url: "${PG_URL}" }\ndestination:\n${
          store.destination(proxy.url, bucket)
        }` +
          'state: { type: destination }\nexports:\n  - name: k\n    format: csv\n    mode: incremental\n' +
          '    cursor_column: i\n    query: "select i from generate_series(1, ${n}) i"\n',
      )
      const first = await rivet(['run', '-c', file, '-p', 'n=500', '--json'], { env: store.env })
      expect(errorLines(first.stderr)).toEqual([])
      expect(first.code).toBe(0)
      expect(await proxy.lost).toContain('k/_rivet/state')
      const runId = JSON.parse(first.stdout).exports[0].run_id
      const state = JSON.parse(new TextDecoder().decode(await store.read(bucket, 'k/_rivet/state.json')))
      expect(state.cursor).toMatchObject({ value: '500', run_id: runId })
      expect(state.pending).toBeUndefined()

      const next = await rivet(['run', '-c', file, '-p', 'n=500', '--json'], { env: store.env })
      expect(next.code).toBe(0)
      expect(JSON.parse(next.stdout).exports[0].rows).toBe(0)
    } finally {
      proxy.close()
    }
  }, 60_000)
})
