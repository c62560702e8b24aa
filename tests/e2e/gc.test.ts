/**
 * `rivet gc` on every store, against garbage a real hard kill made: a run is SIGKILLed while it
 * uploads its parts, after a committed run of the same export. gc must list exactly the objects
 * the killed run left (read independently: vendor SDKs, the filesystem) and, on S3, its
 * incomplete multipart upload; leave all of it alone under the default 24h bound; remove it
 * with --delete; and leave the committed run valid. A chunked run killed mid-way keeps its
 * parts from gc through the checkpoint's claim, whatever their age.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { manifestSchema } from '../../src/pipeline/manifest.ts'
import { startRivet, waitFor } from '../helpers/background.ts'
import { rivet } from '../helpers/cli.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { PG_URL, pgExec } from '../helpers/pg.ts'
import * as azure from '../helpers/azure.ts'
import * as gcs from '../helpers/gcs.ts'
import * as s3 from '../helpers/s3.ts'

/** Rows of 250 bytes; a pause every 20,000 keeps the killed run going for ~2.5 s. */
const QUERY = "select i, rpad(i::text, 250, 'x') as pad from generate_series(1, ${n}) i " +
  'where i % 20000 <> 0 or length(pg_sleep(0.25)::text) = 0'

interface Store {
  name: string
  /** The destination block for a fresh bucket, container or directory. */
  destination(dir: string): Promise<{ yaml: string; env: Record<string, string>; bucket: string }>
  /** The export's directory in the bucket. */
  base: string
  /** Every visible object name. */
  keys(bucket: string): Promise<string[]>
  /** Object names of incomplete uploads. */
  uploads(bucket: string): Promise<string[]>
  read(bucket: string, key: string): Promise<Uint8Array>
}

/** A local temporary file `.name.<hex>.tmp`, named as the file it would have become. */
function finalName(path: string): string | undefined {
  const slash = path.lastIndexOf('/')
  const match = /^\.(.*)\.[0-9a-f]+\.tmp$/.exec(path.slice(slash + 1))
  return match ? path.slice(0, slash + 1) + match[1] : undefined
}

const CLOUD_PARTS = '  part_size: 5MB\n'

const stores: Store[] = [
  {
    name: 'local',
    base: 'orders',
    destination: (dir) =>
      Promise.resolve({ yaml: '  type: local\n  path: ./out\n', env: {}, bucket: join(dir, 'out') }),
    keys: (dir) => Promise.resolve(listFiles(dir).filter((f) => finalName(f) === undefined)),
    uploads: (dir) => Promise.resolve(listFiles(dir).map(finalName).filter((f) => f !== undefined)),
    read: (dir, key) => Promise.resolve(new Uint8Array(readFileSync(join(dir, key)))),
  },
  {
    name: 'MinIO',
    base: 'lake/orders',
    async destination() {
      const bucket = await s3.newBucket()
      return {
        bucket,
        env: s3.MINIO_ENV,
        yaml: `  type: s3\n  bucket: ${bucket}\n  prefix: lake/\n  endpoint: ${s3.MINIO.endpoint}\n` +
          `  access_key_env: RIVET_S3_KEY\n  secret_key_env: RIVET_S3_SECRET\n${CLOUD_PARTS}`,
      }
    },
    keys: s3.listKeys,
    uploads: s3.pendingUploads,
    read: s3.getObject,
  },
  {
    name: 'fake-gcs-server',
    base: 'lake/orders',
    async destination() {
      const bucket = await gcs.newBucket()
      return {
        bucket,
        env: {},
        yaml: `  type: gcs\n  bucket: ${bucket}\n  prefix: lake/\n  endpoint: ${gcs.FAKE_GCS}\n` +
          `  allow_anonymous: true\n${CLOUD_PARTS}`,
      }
    },
    keys: gcs.listObjects,
    // Resumable sessions are not listable.
    uploads: () => Promise.resolve([]),
    read: gcs.getObject,
  },
  {
    name: 'Azurite',
    base: 'lake/orders',
    async destination() {
      const container = await azure.newContainer()
      return {
        bucket: container,
        env: { RIVET_AZURE_KEY: azure.AZURITE.key },
        yaml:
          `  type: azure\n  container: ${container}\n  prefix: lake/\n  account_name: ${azure.AZURITE.account}\n` +
          `  endpoint: ${azure.AZURITE.endpoint}\n  account_key_env: RIVET_AZURE_KEY\n${CLOUD_PARTS}`,
      }
    },
    keys: (container) => azure.listBlobs(container),
    // Uncommitted blocks are not listed by rivet (Azure discards them after a week).
    uploads: () => Promise.resolve([]),
    read: azure.getBlob,
  },
]

interface GcExport {
  location: string
  orphans: { path: string; run_id: string; bytes: number }[]
  uploads: { path: string; run_id: string }[]
  kept: { recent: number; claimed: number }
  removed: number
}

/**
 * Runs `rivet gc --json` with `flags` (and the query's `${n}`, which gc resolves with the rest of
 * the config); checks the exit code and returns the one export's result.
 */
async function gc(file: string, env: Record<string, string>, ...flags: string[]): Promise<GcExport> {
  const result = await rivet(['gc', '-c', file, '-p', 'n=0', '--json', ...flags], { env })
  expect(result.stderr).not.toContain('"level":"error"')
  expect(result.code).toBe(0)
  const doc = JSON.parse(result.stdout)
  expect(doc.exports).toHaveLength(1)
  return doc.exports[0]
}

describe.each(stores)('rivet gc on $name after a SIGKILL mid-upload', (store) => {
  test(
    'lists exactly what the killed run left, --delete removes it, the committed run stays valid',
    async () => {
      const dir = tempDir()
      const { yaml, env, bucket } = await store.destination(dir)
      const file = writeConfig(
        dir,
        `source: { type: postgres, url: "${PG_URL}" }\ndestination:\n${yaml}exports:\n` +
          `  - name: orders\n    format: csv\n    max_file_size: 6MB\n    query: "${QUERY}"\n`,
      )
      const committed = await rivet(['run', '-c', file, '-p', 'n=30000', '--json'], { env })
      expect(committed.code).toBe(0)
      const runId: string = JSON.parse(committed.stdout).exports[0].run_id
      const manifestKey = `${store.base}/_rivet/runs/${runId}.json`
      const manifest = manifestSchema.parse(
        JSON.parse(new TextDecoder().decode(await store.read(bucket, manifestKey))),
      )
      const kept = new Set([manifestKey, ...manifest.parts.map((p) => `${store.base}/${p.path}`)])
      expect(manifest.parts.length).toBe(2)

      // Killed once two parts are up (and, on S3, a third is a multipart upload in progress).
      const run = startRivet(['run', '-c', file, '-p', 'n=200000'], env)
      await waitFor(async () => {
        const killedParts = (await store.keys(bucket)).filter((k) => !kept.has(k))
        return killedParts.length >= 2 && (store.name !== 'MinIO' || (await store.uploads(bucket)).length > 0)
      }, run)
      process.kill(run.pid, 'SIGKILL')
      expect((await run.exited).code).toBeNull()

      const orphans = (await store.keys(bucket)).filter((k) => !kept.has(k))
      const uploads = await store.uploads(bucket)
      expect(orphans.every((k) => k.startsWith(`${store.base}/orders-`) && k.endsWith('.csv'))).toBe(true)
      if (store.name === 'MinIO') expect(uploads.length).toBe(1)
      const relative = (keys: string[]) => keys.map((k) => k.slice(store.base.length + 1)).sort()

      // The default bound keeps everything of a run that may still be going.
      const young = await gc(file, env)
      expect(young.orphans).toEqual([])
      expect(young.uploads).toEqual([])
      expect(young.kept).toEqual({ recent: orphans.length + uploads.length, claimed: 0 })

      const listed = await gc(file, env, '--older-than', '0s')
      expect(listed.location).toEndWith(store.base)
      expect(listed.orphans.map((o) => o.path).sort()).toEqual(relative(orphans))
      expect(listed.uploads.map((u) => u.path).sort()).toEqual(relative(uploads))
      const killedRun = listed.orphans[0].run_id
      expect(killedRun).not.toBe(runId)
      expect([...listed.orphans, ...listed.uploads].every((o) => o.run_id === killedRun)).toBe(true)
      for (const orphan of listed.orphans) {
        expect(orphan.bytes).toBe((await store.read(bucket, `${store.base}/${orphan.path}`)).length)
      }
      expect(listed.removed).toBe(0)
      expect((await store.keys(bucket)).length).toBe(kept.size + orphans.length)

      const deleted = await gc(file, env, '--older-than', '0s', '--delete')
      expect(deleted.removed).toBe(orphans.length + uploads.length)
      expect(await store.keys(bucket)).toEqual([...kept].sort())
      expect(await store.uploads(bucket)).toEqual([])
      expect((await rivet(['validate', '-c', file, '-p', 'n=0'], { env })).code).toBe(0)
      expect((await gc(file, env, '--older-than', '0s')).orphans).toEqual([])
    },
    60_000,
  )
})

describe('rivet gc and a chunked run in progress', () => {
  beforeAll(async () => {
    await pgExec(`
      drop table if exists rivet_gc_chunked;
      create table rivet_gc_chunked (id bigint primary key, payload text);
      insert into rivet_gc_chunked select i, repeat(md5(i::text), 32) from generate_series(1, 60000) i;
    `)
  })

  test("keeps the checkpoint's parts whatever their age; after --resume they are committed", async () => {
    const dir = tempDir()
    const file = writeConfig(
      dir,
      `source: { type: postgres, url: "${PG_URL}" }\ndestination: { type: local, path: ./out }\nexports:\n` +
        '  - name: big\n    table: public.rivet_gc_chunked\n    mode: chunked\n    chunk_column: id\n' +
        '    chunk_size: 5000\n',
    )
    const stateFile = join(dir, '.rivet', 'big.json')
    const run = startRivet(['run', '-c', file])
    await waitFor(() => {
      try {
        return Object.keys(JSON.parse(readFileSync(stateFile, 'utf8')).checkpoint?.done ?? {}).length >= 2
      } catch {
        return false
      }
    }, run)
    process.kill(run.pid, 'SIGKILL')
    await run.exited
    const parts = listFiles(join(dir, 'out', 'big')).filter((f) => f.endsWith('.parquet'))
    expect(parts.length).toBeGreaterThanOrEqual(2)

    const claimed = await gc(file, {}, '--older-than', '0s', '--delete')
    expect(claimed.orphans).toEqual([])
    expect(claimed.removed).toBe(0)
    expect(claimed.kept.claimed).toBe(parts.length)
    expect(listFiles(join(dir, 'out', 'big')).filter((f) => f.endsWith('.parquet'))).toEqual(parts)

    expect((await rivet(['run', '-c', file, '--resume'])).code).toBe(0)
    expect((await gc(file, {}, '--older-than', '0s', '--delete')).kept).toEqual({ recent: 0, claimed: 0 })
    expect((await rivet(['validate', '-c', file])).code).toBe(0)
  }, 60_000)
})
