/**
 * `rivet validate` through the CLI: runs of a PostgreSQL table written to local disk, MinIO,
 * fake-gcs-server and Azurite validate; parts truncated, deleted, edited in place or replaced
 * behind rivet's back exit 6 with one line naming the export, run, part and what differs.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { AZURITE, getBlob, listBlobs, newContainer, putBlob } from '../helpers/azure.ts'
import { errorLines, rivet, type Runtime } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import * as gcs from '../helpers/gcs.ts'
import { PG_URL, pgExec } from '../helpers/pg.ts'
import * as s3 from '../helpers/s3.ts'

const TABLE = 'rivet_validate_rows'
const ROWS = 50_000

beforeAll(() =>
  // Every 7th note holds a comma, a quote and a line feed, so CSV records span lines.
  pgExec(`
    drop table if exists ${TABLE};
    create table ${TABLE} (id bigint primary key, label text, note text);
    insert into ${TABLE}
      select i, md5(i::text), case when i % 7 = 0 then 'a, "b"' || chr(10) || 'c' else 'plain' end
        from generate_series(1, ${ROWS}) i;
  `)
)

/** Parquet and CSV (plain and gzip), each in several parts. */
const EXPORTS = `  - name: rows
    table: ${TABLE}
    max_file_size: 64KB
    row_group_size: 2000
  - name: rows_csv
    table: ${TABLE}
    format: csv
    max_file_size: 256KB
  - name: rows_gz
    table: ${TABLE}
    format: csv
    compression: gzip
    max_file_size: 128KB
  - name: rows_zst
    table: ${TABLE}
    format: csv
    compression: zstd
`

/** A config with this destination block (indented lines) and {@link EXPORTS}. */
function config(dir: string, destination: string): string {
  return writeConfig(
    dir,
    `source: { type: postgres, url: "${PG_URL}" }\ndestination:\n${destination}\nexports:\n${EXPORTS}`,
  )
}

/** A config writing to `<dir>/<path>`. */
function localConfig(dir: string, path = 'out'): string {
  return config(dir, `  type: local\n  path: "${path}"`)
}

/** What `rivet run --json` says about one export. */
interface Exported {
  run_id: string
  location: string
  parts: number
  rows: number
}

/** Runs one export; returns its result. */
async function runExport(file: string, name = 'rows', env: Record<string, string> = {}): Promise<Exported> {
  const result = await rivet(['run', '-c', file, '-e', name, '--json'], { env })
  expect(result.stderr).not.toContain('"level":"error"')
  expect(result.code).toBe(0)
  return JSON.parse(result.stdout).exports[0]
}

/** Runs `rivet validate --json`; returns the exit code, the document and the error line. */
async function validate(
  file: string,
  args: string[] = [],
  options: { env?: Record<string, string>; runtime?: Runtime } = {},
) {
  const result = await rivet(['validate', '-c', file, '--json', ...args], options)
  return { code: result.code, doc: JSON.parse(result.stdout), error: errorLines(result.stderr)[0]?.msg ?? '' }
}

/** The part paths a local run's manifest lists. */
function partsOf(run: Exported): string[] {
  const manifest = JSON.parse(
    readFileSync(join(run.location, '_rivet', 'runs', `${run.run_id}.json`), 'utf8'),
  )
  return manifest.parts.map((p: { path: string }) => p.path)
}

describe('validate, local', () => {
  test('a run of several Parquet parts validates, rows counted from each footer', async () => {
    const dir = tempDir()
    const file = localConfig(dir)
    const run = await runExport(file)
    expect(run.parts).toBeGreaterThan(2)
    const { code, doc } = await validate(file, ['-e', 'rows'])
    expect(code).toBe(0)
    expect(doc.status).toBe('succeeded')
    expect(doc.exports[0]).toMatchObject({
      name: 'rows',
      run_id: run.run_id,
      status: 'succeeded',
      rows: ROWS,
      parts: run.parts,
      parts_checked: run.parts,
      rows_counted: run.parts,
      problems: [],
    })
    const text = await rivet(['validate', '-c', file, '-e', 'rows'])
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`rows: run ${run.run_id} (succeeded)`)
    expect(text.stdout).toContain(': ok')
  })

  test('a truncated part: exit 6 naming the export, run, part, bytes and sha256', async () => {
    const dir = tempDir()
    const file = localConfig(dir)
    const run = await runExport(file)
    const part = partsOf(run)[1]
    truncateSync(join(run.location, part), 1000)
    const { code, doc, error } = await validate(file, ['-e', 'rows'])
    expect(code).toBe(6)
    expect(doc.error).toMatchObject({ code: 'VALIDATION_FAILED', exit: 6 })
    expect(error).toContain(`export rows, run ${run.run_id}, part ${part}: bytes 1000 (manifest `)
    expect(error).toContain('sha256 ')
    expect(doc.exports[0].problems).toEqual([{ part, message: expect.stringContaining('bytes 1000') }])
  })

  test('a deleted part: exit 6 saying it is missing', async () => {
    const dir = tempDir()
    const file = localConfig(dir)
    const run = await runExport(file)
    const part = partsOf(run)[0]
    unlinkSync(join(run.location, part))
    const { code, doc, error } = await validate(file, ['-e', 'rows'])
    expect(code).toBe(6)
    expect(error).toContain(`export rows, run ${run.run_id}, part ${part}: missing`)
    expect(doc.exports[0]).toMatchObject({ parts: run.parts, parts_checked: run.parts - 1 })
  })

  test('a byte edited in place (same size): a sha256 mismatch only', async () => {
    const dir = tempDir()
    const file = localConfig(dir)
    const run = await runExport(file)
    const part = join(run.location, partsOf(run)[0])
    const bytes = readFileSync(part)
    bytes[5000] ^= 0xff
    writeFileSync(part, bytes)
    const { code, doc, error } = await validate(file, ['-e', 'rows'])
    expect(code).toBe(6)
    expect(error).toMatch(
      /part rows-\S+-00000\.parquet: sha256 [0-9a-f]{16}\.\.\. \(manifest [0-9a-f]{16}\.\.\.\);/,
    )
    expect(doc.exports[0].problems).toHaveLength(1)
  })

  test('--run-id picks an older run; without it the latest is validated', async () => {
    const dir = tempDir()
    const file = localConfig(dir)
    const older = await runExport(file)
    // Run ids carry the start second: wait for a later one.
    await Bun.sleep(1100)
    const latest = await runExport(file)
    unlinkSync(join(latest.location, partsOf(latest)[0]))
    const failing = await validate(file, ['-e', 'rows'])
    expect(failing.code).toBe(6)
    expect(failing.error).toContain(`run ${latest.run_id}`)
    const old = await validate(file, ['-e', 'rows', '--run-id', older.run_id])
    expect(old.code).toBe(0)
    expect(old.doc.exports[0]).toMatchObject({ run_id: older.run_id, problems: [] })
    const unknown = await validate(file, ['-e', 'rows', '--run-id', '20200101T000000Z-abcdef'])
    expect(unknown.code).toBe(6)
    expect(unknown.error).toContain('export rows: no committed run 20200101T000000Z-abcdef found in ')
    expect((await validate(file, ['--run-id', older.run_id])).code).toBe(2)
    expect((await validate(file, ['-e', 'rows', '--run-id', 'latest'])).code).toBe(2)
  })

  test('CSV, plain and gzip, validates with rows counted; under Deno too', async () => {
    const dir = tempDir()
    const file = localConfig(dir)
    for (const name of ['rows_csv', 'rows_gz']) {
      const run = await runExport(file, name)
      expect(run.parts).toBeGreaterThan(1)
      for (const runtime of ['bun', 'deno'] as const) {
        const { code, doc } = await validate(file, ['-e', name], { runtime })
        expect(code).toBe(0)
        expect(doc.exports[0]).toMatchObject({
          rows: ROWS,
          parts_checked: run.parts,
          rows_counted: run.parts,
        })
      }
    }
  })

  test('zstd CSV, one frame per batch, validates with rows counted; under Deno too', async () => {
    const dir = tempDir()
    const file = localConfig(dir)
    const run = await runExport(file, 'rows_zst')
    const part = join(run.location, partsOf(run)[0])
    // Deno's zstd stream stops after the first frame: the part must have several to show it.
    const frames = readFileSync(part).toString('hex').match(/28b52ffd/g) ?? []
    expect(frames.length).toBeGreaterThan(1)
    for (const runtime of ['bun', 'deno'] as const) {
      const { code, doc } = await validate(file, ['-e', 'rows_zst'], { runtime })
      expect(code).toBe(0)
      expect(doc.exports[0]).toMatchObject({ rows: ROWS, parts_checked: 1, rows_counted: 1, notes: [] })
    }
  })

  test('a zstd CSV part cut inside a frame: rows unreadable, bytes and sha256 differ', async () => {
    const dir = tempDir()
    const file = localConfig(dir)
    const run = await runExport(file, 'rows_zst')
    const part = join(run.location, partsOf(run)[0])
    const bytes = readFileSync(part)
    writeFileSync(part, bytes.subarray(0, bytes.length - 100))
    const { code, error } = await validate(file, ['-e', 'rows_zst'])
    expect(code).toBe(6)
    expect(error).toContain(`bytes ${bytes.length - 100} (manifest ${bytes.length})`)
    expect(error).toContain('rows unreadable: zstd: the last frame is cut short')
  })

  test('a CSV part replaced by one with a row less: rows, bytes and sha256 differ', async () => {
    const dir = tempDir()
    const file = localConfig(dir)
    const run = await runExport(file, 'rows_csv')
    const part = join(run.location, partsOf(run)[0])
    const text = readFileSync(part, 'utf8')
    writeFileSync(part, text.slice(0, text.lastIndexOf('\r\n', text.length - 3) + 2))
    const { code, error } = await validate(file, ['-e', 'rows_csv'])
    expect(code).toBe(6)
    expect(error).toMatch(/bytes \d+ \(manifest \d+\), sha256 .*, rows (\d+) \(manifest \d+\)/)
    const [, counted, stated] = /rows (\d+) \(manifest (\d+)\)/.exec(error)!
    expect(Number(counted)).toBe(Number(stated) - 1)
  })

  test('no committed run, or a manifest marked failed: exit 6', async () => {
    const dir = tempDir()
    const file = localConfig(dir)
    const none = await validate(file, ['-e', 'rows'])
    expect(none.code).toBe(6)
    expect(none.error).toContain(
      `export rows: no committed run found in ${join(dir, 'out', 'rows')}/_rivet/runs/`,
    )
    expect(none.doc.exports[0]).toMatchObject({ run_id: null, status: null, parts_checked: 0 })

    const run = await runExport(file)
    const manifestFile = join(run.location, '_rivet', 'runs', `${run.run_id}.json`)
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'))
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, status: 'failed' }))
    const failed = await validate(file, ['-e', 'rows'])
    expect(failed.code).toBe(6)
    expect(failed.error).toContain(`export rows, run ${run.run_id}: the manifest is marked failed`)
    expect(failed.doc.exports[0]).toMatchObject({ status: 'failed', parts_checked: run.parts })
  })

  test('a path with {run_id}: the latest run is found by listing', async () => {
    const dir = tempDir()
    const file = localConfig(dir, 'out/{run_id}')
    await runExport(file)
    await Bun.sleep(1100)
    const latest = await runExport(file)
    expect(latest.location).toBe(join(dir, 'out', latest.run_id, 'rows'))
    const { code, doc } = await validate(file, ['-e', 'rows'])
    expect(code).toBe(0)
    expect(doc.exports[0]).toMatchObject({ run_id: latest.run_id, location: latest.location })
  })

  test('the stdout destination has nothing to read back: a usage error', async () => {
    const dir = tempDir()
    const file = config(dir, '  type: stdout')
    const { code, error } = await validate(file, ['-e', 'rows'])
    expect(code).toBe(2)
    expect(error).toContain('stdout destination keeps nothing to read back')
  })
})

/** How a test reaches one object store. */
interface Store {
  name: string
  /** A new bucket or container. */
  create(): Promise<string>
  /** The destination block for it. */
  destination(bucket: string): string
  env: Record<string, string>
  list(bucket: string): Promise<string[]>
  get(bucket: string, name: string): Promise<Uint8Array>
  put(bucket: string, name: string, bytes: Uint8Array): Promise<void>
}

const STORES: Store[] = [
  {
    name: 'MinIO',
    create: () => s3.newBucket(),
    destination: (bucket) =>
      `  type: s3\n  bucket: ${bucket}\n  prefix: exports/{date}/\n  endpoint: ${s3.MINIO.endpoint}\n` +
      '  access_key_env: RIVET_S3_KEY\n  secret_key_env: RIVET_S3_SECRET',
    env: s3.MINIO_ENV,
    list: s3.listKeys,
    get: s3.getObject,
    put: s3.putObject,
  },
  {
    name: 'fake-gcs-server',
    create: () => gcs.newBucket(),
    destination: (bucket) =>
      `  type: gcs\n  bucket: ${bucket}\n  prefix: exports/{date}/\n  endpoint: ${gcs.FAKE_GCS}\n  allow_anonymous: true`,
    env: {},
    list: gcs.listObjects,
    get: gcs.getObject,
    put: gcs.putObject,
  },
  {
    name: 'Azurite',
    create: () => newContainer(),
    destination: (container) =>
      `  type: azure\n  container: ${container}\n  prefix: exports/{date}/\n  account_name: ${AZURITE.account}\n` +
      `  endpoint: ${AZURITE.endpoint}\n  account_key_env: RIVET_AZURE_KEY`,
    env: { RIVET_AZURE_KEY: AZURITE.key },
    list: (container) => listBlobs(container),
    get: getBlob,
    put: putBlob,
  },
]

describe.each(STORES)('validate, $name', (store) => {
  test('a run under a {date} prefix validates; a part overwritten shorter exits 6', async () => {
    const bucket = await store.create()
    const file = config(tempDir(), store.destination(bucket))
    const run = await runExport(file, 'rows', store.env)
    expect(run.parts).toBeGreaterThan(1)
    const ok = await validate(file, ['-e', 'rows'], { env: store.env })
    expect(ok.error).toBe('')
    expect(ok.code).toBe(0)
    expect(ok.doc.exports[0]).toMatchObject({
      run_id: run.run_id,
      location: run.location,
      parts_checked: run.parts,
      rows_counted: run.parts,
    })

    const name = (await store.list(bucket)).find((n) => n.endsWith('-00001.parquet'))!
    const bytes = await store.get(bucket, name)
    await store.put(bucket, name, bytes.subarray(0, bytes.length - 10))
    const bad = await validate(file, ['-e', 'rows'], { env: store.env })
    expect(bad.code).toBe(6)
    const part = name.split('/').at(-1)
    expect(bad.error).toContain(
      `export rows, run ${run.run_id}, part ${part}: bytes ${
        bytes.length - 10
      } (manifest ${bytes.length}), sha256 `,
    )
    expect(bad.error).toContain('rows unreadable: Parquet footer')
  })
})

describe('validate, destination errors', () => {
  test('a missing bucket exits 5; refused credentials exit 4', async () => {
    const file = config(tempDir(), STORES[0].destination('rivet-no-such-bucket'))
    const missing = await validate(file, ['-e', 'rows'], { env: s3.MINIO_ENV })
    expect(missing.code).toBe(5)
    expect(missing.error).toContain('rivet-no-such-bucket does not exist')
    const bucket = await s3.newBucket()
    const refused = await validate(config(tempDir(), STORES[0].destination(bucket)), ['-e', 'rows'], {
      env: { ...s3.MINIO_ENV, RIVET_S3_SECRET: 'wrong-secret-planted-0000' },
    })
    expect(refused.code).toBe(4)
  })
})
