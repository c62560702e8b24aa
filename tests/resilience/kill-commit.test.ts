/**
 * SIGKILL at each step of a commit, on every object store: a proxy in front of MinIO,
 * fake-gcs-server or Azurite holds one chosen request of an incremental run (its last part's
 * upload, its manifest, or the state write that commits its cursor) and the test kills rivet
 * while it waits. Then: every part a manifest lists is there with its checksum; the state's
 * cursor names a run whose manifest exists; the next run commits each row exactly once (read
 * through the manifests); `rivet validate` passes; and `rivet gc --delete` leaves only the
 * committed runs and the state.
 */
import { describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { manifestSchema } from '../../src/pipeline/manifest.ts'
import * as azure from '../helpers/azure.ts'
import { startRivet } from '../helpers/background.ts'
import { rivet } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import * as gcs from '../helpers/gcs.ts'
import { holdProxy } from '../helpers/hold-proxy.ts'
import { PG_URL } from '../helpers/pg.ts'
import * as s3 from '../helpers/s3.ts'

interface Store {
  name: string
  upstream: string
  /** The destination block for `endpoint` (the proxy) and a fresh bucket. */
  destination(endpoint: string, bucket: string): { yaml: string; env: Record<string, string> }
  bucket(): Promise<string>
  keys(bucket: string): Promise<string[]>
  read(bucket: string, key: string): Promise<Uint8Array>
}

const stores: Store[] = [
  {
    name: 'MinIO',
    upstream: '127.0.0.1:9000',
    destination: (endpoint, bucket) => ({
      env: s3.MINIO_ENV,
      yaml: `  type: s3\n  bucket: ${bucket}\n  endpoint: ${endpoint}\n` +
        '  access_key_env: RIVET_S3_KEY\n  secret_key_env: RIVET_S3_SECRET\n',
    }),
    bucket: () => s3.newBucket(),
    keys: s3.listKeys,
    read: s3.getObject,
  },
  {
    name: 'fake-gcs-server',
    upstream: '127.0.0.1:4443',
    destination: (endpoint, bucket) => ({
      env: {},
      yaml: `  type: gcs\n  bucket: ${bucket}\n  endpoint: ${endpoint}\n  allow_anonymous: true\n`,
    }),
    bucket: gcs.newBucket,
    keys: gcs.listObjects,
    read: gcs.getObject,
  },
  {
    name: 'Azurite',
    upstream: '127.0.0.1:10000',
    destination: (endpoint, container) => ({
      env: { RIVET_AZURE_KEY: azure.AZURITE.key },
      yaml: `  type: azure\n  container: ${container}\n  account_name: ${azure.AZURITE.account}\n` +
        `  endpoint: ${endpoint}/${azure.AZURITE.account}\n  account_key_env: RIVET_AZURE_KEY\n`,
    }),
    bucket: () => azure.newContainer(),
    keys: (container) => azure.listBlobs(container),
    read: azure.getBlob,
  },
]

/** The commit steps a kill lands on: which write is held, and the how-many-th such write. */
const steps: { step: string; matches: (method: string, url: string) => boolean; nth: number }[] = [
  { step: 'the last part upload', matches: (m, u) => m !== 'GET' && /k\/k-[^?]*\.csv/.test(u), nth: 1 },
  { step: 'the manifest write', matches: (m, u) => m !== 'GET' && u.includes('k/_rivet/runs/'), nth: 1 },
  // The first state write of a run claims its cursor, the second (after the manifest) commits it.
  { step: 'the state commit', matches: (m, u) => m !== 'GET' && u.includes('k/_rivet/state'), nth: 2 },
]

const QUERY = 'select i, md5(i::text) as h from generate_series(1, ${n}) i'

describe.each(stores)('SIGKILL at a commit step on $name', (store) => {
  test.each(steps)(
    'held at $step: nothing lost, nothing twice, validate and gc clean',
    async ({ matches, nth }) => {
      const bucket = await store.bucket()
      const dir = tempDir()
      /** Writes the config for rivet to reach the store through `endpoint`. */
      const configure = (endpoint: string, name: string) => {
        const { yaml, env } = store.destination(endpoint, bucket)
        const file = writeConfig(
          dir,
          `source: { type: postgres, url: "${PG_URL}" }\ndestination:\n${yaml}state: { type: destination }\n` +
            `exports:\n  - name: k\n    format: csv\n    mode: incremental\n    cursor_column: i\n    query: "${QUERY}"\n`,
          name,
        )
        return { file, env }
      }
      const direct = configure(`http://${store.upstream}`, 'direct.yaml')
      expect((await rivet(['run', '-c', direct.file, '-p', 'n=1000'], { env: direct.env })).code).toBe(0)

      const proxy = await holdProxy(store.upstream, matches, nth)
      try {
        const held = configure(proxy.url, 'held.yaml')
        const run = startRivet(['run', '-c', held.file, '-p', 'n=3000'], held.env)
        await Promise.race([proxy.held, run.exited.then((r) => Promise.reject(new Error(r.stderr)))])
        process.kill(run.pid, 'SIGKILL')
        expect((await run.exited).code).toBeNull()
      } finally {
        proxy.close()
      }

      // After the kill: every manifest's parts are whole, and the cursor names a committed run.
      const manifests = async () => {
        const keys = await store.keys(bucket)
        const found = []
        for (const key of keys.filter((k) => k.startsWith('k/_rivet/runs/'))) {
          found.push(
            manifestSchema.parse(JSON.parse(new TextDecoder().decode(await store.read(bucket, key)))),
          )
        }
        return found
      }
      for (const manifest of await manifests()) {
        for (const part of manifest.parts) {
          const bytes = await store.read(bucket, `k/${part.path}`)
          expect(createHash('sha256').update(bytes).digest('hex')).toBe(part.sha256)
        }
      }
      const state = JSON.parse(new TextDecoder().decode(await store.read(bucket, 'k/_rivet/state.json')))
      expect((await manifests()).map((m) => m.run_id)).toContain(state.cursor.run_id)

      const next = await rivet(['run', '-c', direct.file, '-p', 'n=3000'], { env: direct.env })
      expect(next.stderr).not.toContain('"level":"error"')
      expect(next.code).toBe(0)
      // Each row exactly once across the committed runs.
      const ids: number[] = []
      for (const manifest of await manifests()) {
        for (const part of manifest.parts) {
          const lines = new TextDecoder().decode(await store.read(bucket, `k/${part.path}`)).split('\r\n')
          for (const line of lines.slice(1, -1)) ids.push(Number(line.split(',')[0]))
        }
      }
      expect(ids.sort((a, b) => a - b)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1))
      expect((await rivet(['validate', '-c', direct.file, '-p', 'n=0'], { env: direct.env })).code).toBe(0)

      const gc = await rivet(['gc', '-c', direct.file, '-p', 'n=0', '--older-than', '0s', '--delete'], {
        env: direct.env,
      })
      expect(gc.code).toBe(0)
      const committed = (await manifests()).flatMap((m) => [
        `k/_rivet/runs/${m.run_id}.json`,
        ...m.parts.map((p) => `k/${p.path}`),
      ])
      expect(await store.keys(bucket)).toEqual([...committed, 'k/_rivet/state.json'].sort())
    },
    60_000,
  )
})
