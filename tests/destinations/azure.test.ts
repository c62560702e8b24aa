/**
 * The Azure Blob destination against Azurite, which checks SharedKey signatures and SAS tokens
 * for real. What rivet wrote is read back with @azure/storage-blob and DuckDB; failures exit
 * with the right code, never print a key or SAS, and leave no visible blob and no manifest.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { join } from 'node:path'
import {
  AZURITE,
  committedBlockSizes,
  getBlob,
  listBlobs,
  newContainer,
  SAS,
  SAS_CONTAINER,
  sasSignatures,
  WRONG_AZURE_KEY,
} from '../helpers/azure.ts'
import { errorLines, rivet, ROOT, type Runtime } from '../helpers/cli.ts'
import {
  checkStoredRun,
  checkTypedValues,
  createTypedTable,
  objectStoreConfig,
} from '../helpers/cloud-export.ts'
import { tempDir } from '../helpers/files.ts'

const TABLE = 'rivet_azure_rows'
const KEY_ENV = { RIVET_AZURE_KEY: AZURITE.key }

beforeAll(() => createTypedTable(TABLE))

/** What a test changes in the config. */
interface Options {
  exports?: string
  /** More destination lines. */
  extra?: string
  /** The credential line; default: the account key. */
  credential?: string
  endpoint?: string
  /** `bucket` to use the alias. */
  containerKey?: 'container' | 'bucket'
}

/** A config exporting to `container`. */
function config(dir: string, container: string, options: Options = {}): string {
  return objectStoreConfig(
    dir,
    `  type: azure
  ${options.containerKey ?? 'container'}: ${container}
  prefix: exports/{date}/
  account_name: ${AZURITE.account}
  endpoint: ${options.endpoint ?? AZURITE.endpoint}
${options.credential ?? '  account_key_env: RIVET_AZURE_KEY'}
${options.extra ?? ''}
`,
    options.exports ?? `  - name: rows\n    table: ${TABLE}\n`,
  )
}

const SAS_LINE = '  sas_token_env: RIVET_AZURE_SAS'

/** Runs rivet and checks that no planted Azure secret shows in anything it printed. */
async function run(args: string[], env: Record<string, string>, runtime: Runtime = 'bun') {
  const result = await rivet(args, { env, runtime })
  for (const secret of [AZURITE.key, WRONG_AZURE_KEY, ...Object.values(SAS).flatMap(sasSignatures)]) {
    expect(result.stdout + result.stderr).not.toContain(secret)
  }
  return result
}

/** Exports the typed table to `container` and checks everything it wrote. */
async function exportAndCheck(
  container: string,
  dir: string,
  file: string,
  env: Record<string, string>,
  runtime: Runtime = 'bun',
) {
  const result = await run(['run', '-c', file, '--json'], env, runtime)
  expect(result.stderr).not.toContain('"level":"error"')
  expect(result.code).toBe(0)
  const exp = JSON.parse(result.stdout).exports[0]
  const base = `exports/${new Date().toISOString().slice(0, 10)}/rows`
  expect(exp.location).toBe(`${AZURITE.endpoint}/${container}/${base}`)
  const { local } = await checkStoredRun({
    names: await listBlobs(container),
    base,
    exportName: 'rows',
    runId: exp.run_id,
    read: (name) => getBlob(container, name),
  }, dir)
  await checkTypedValues(local)
}

describe('azure destination', () => {
  for (const runtime of ['bun', 'deno'] as const) {
    test(`${runtime}: SharedKey export lands under the prefix with its manifest; the SDK and DuckDB read it back`, async () => {
      const container = await newContainer()
      const dir = tempDir()
      await exportAndCheck(container, dir, config(dir, container), KEY_ENV, runtime)
    })
  }

  test('an account SAS (with its leading ?) works, and `bucket:` names the container', async () => {
    const container = await newContainer()
    const dir = tempDir()
    const file = config(dir, container, { credential: SAS_LINE, containerKey: 'bucket' })
    await exportAndCheck(container, dir, file, { RIVET_AZURE_SAS: `?${SAS.valid}` })
  })

  test('a container-scoped SAS, which may not read container properties, still uploads', async () => {
    const container = await newContainer(SAS_CONTAINER)
    const dir = tempDir()
    const file = config(dir, container, { credential: SAS_LINE })
    const result = await run(['run', '-c', file, '--json'], { RIVET_AZURE_SAS: SAS.container })
    expect(result.code).toBe(0)
    const runId = JSON.parse(result.stdout).exports[0].run_id
    expect((await listBlobs(container)).filter((n) => n.includes(runId))).toHaveLength(2)
  })

  test('a large part goes up as blocks of part_size committed by one block list', async () => {
    const container = await newContainer()
    const dir = tempDir()
    const file = config(dir, container, {
      exports:
        `  - name: big\n    format: csv\n    query: select i, repeat(md5(i::text), 8) as pad from generate_series(1, 150000) i\n`,
      extra: '  part_size: 5MB\n  upload_concurrency: 3',
    })
    const result = await run(['run', '-c', file, '--json'], KEY_ENV)
    expect(result.code).toBe(0)
    const name = (await listBlobs(container)).find((n) => n.endsWith('.csv'))!
    const bytes = await getBlob(container, name)
    expect(bytes.length).toBeGreaterThan(35 * 1024 * 1024)
    const part = 5 * 1024 * 1024
    const blocks = await committedBlockSizes(container, name)
    expect(blocks).toHaveLength(Math.ceil(bytes.length / part))
    expect(blocks.slice(0, -1).every((size) => size === part)).toBe(true)
    expect(blocks.reduce((a, b) => a + b, 0)).toBe(bytes.length)
    const manifestName = (await listBlobs(container)).find((n) => n.endsWith('.json'))!
    const manifest = JSON.parse(new TextDecoder().decode(await getBlob(container, manifestName)))
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(manifest.parts[0].sha256)
    expect(new TextDecoder().decode(bytes.subarray(0, 14))).toBe('i,pad\r\n1,c4ca4')
  }, 120000)

  test('a wrong account key exits 4, names the credential source and never prints the key', async () => {
    const container = await newContainer()
    const dir = tempDir()
    const result = await run(['run', '-c', config(dir, container)], { RIVET_AZURE_KEY: WRONG_AZURE_KEY })
    expect(result.code).toBe(4)
    const [error] = errorLines(result.stderr)
    expect(error.msg).toMatch(
      new RegExp(
        `^Azure container ${container} \\(account devstoreaccount1\\) refused GetContainerProperties with 403`,
      ),
    )
    expect(error.msg).toContain('credentials from shared key (RIVET_AZURE_KEY)')
    expect(await listBlobs(container)).toEqual([])
  })

  test('an expired SAS exits 4 and says so', async () => {
    const container = await newContainer()
    const dir = tempDir()
    const file = config(dir, container, { credential: SAS_LINE })
    const result = await run(['run', '-c', file], { RIVET_AZURE_SAS: SAS.expired })
    expect(result.code).toBe(4)
    expect(errorLines(result.stderr)[0].msg).toContain(
      'SAS token (RIVET_AZURE_SAS) expired at 2021-01-01T00:00:00.000Z',
    )
  })

  test('doctor with an expired SAS: the credential step says it expired, before any request', async () => {
    const container = await newContainer()
    const dir = tempDir()
    const file = config(dir, container, { credential: SAS_LINE })
    const result = await run(['doctor', '-c', file, '--json'], { RIVET_AZURE_SAS: SAS.expired })
    expect(result.code).toBe(4)
    const steps = JSON.parse(result.stdout).destinations[0].steps
    expect(steps[0]).toEqual({
      name: 'credentials',
      ok: false,
      code: 'AUTH_EXPIRED',
      detail: `destination azure container ${container}: SAS token (RIVET_AZURE_SAS) expired at ` +
        '2021-01-01T00:00:00.000Z; issue a new SAS token and put it in RIVET_AZURE_SAS',
    })
    expect(steps[1]).toMatchObject({ name: 'reach', ok: false, code: 'AUTH_EXPIRED' })
  })

  test('a SAS signed with another key exits 4: Azurite checks the signature', async () => {
    const container = await newContainer()
    const dir = tempDir()
    const file = config(dir, container, { credential: SAS_LINE })
    const result = await run(['run', '-c', file], { RIVET_AZURE_SAS: SAS.badSignature })
    expect(result.code).toBe(4)
    const [error] = errorLines(result.stderr)
    expect(error.msg).toMatch(
      /refused GetContainerProperties with 403 (AuthenticationFailed|AuthorizationFailure)/,
    )
    expect(error.msg).toContain('credentials from SAS token (RIVET_AZURE_SAS)')
  })

  test('a missing container exits 5 naming it, before any data is read', async () => {
    const dir = tempDir()
    const result = await run(['run', '-c', config(dir, 'rivet-no-such-container')], KEY_ENV)
    expect(result.code).toBe(5)
    expect(errorLines(result.stderr)[0].msg).toBe(
      `Azure container rivet-no-such-container (account devstoreaccount1) does not exist at ${AZURITE.endpoint}; ` +
        'create it or fix destination.container',
    )
  })

  test('an unreachable endpoint exits 5', async () => {
    const dir = tempDir()
    const file = config(dir, 'c', { endpoint: 'http://127.0.0.1:1/devstoreaccount1' })
    const result = await run(['run', '-c', file], KEY_ENV)
    expect(result.code).toBe(5)
    expect(errorLines(result.stderr)[0].msg).toMatch(
      /^Azure container c \(account devstoreaccount1\) at http:\/\/127\.0\.0\.1:1\/devstoreaccount1 is unreachable/,
    )
  }, 60000)

  test('an account key and a SAS together are a config error naming both', async () => {
    const dir = tempDir()
    const file = config(dir, 'c', { extra: SAS_LINE })
    const result = await run(['run', '-c', file], { ...KEY_ENV, RIVET_AZURE_SAS: SAS.valid })
    expect(result.code).toBe(2)
    expect(errorLines(result.stderr)[0].msg).toMatch(/account_key_env and sas_token_env conflict/)
  })

  test('no credential at all exits 4 listing what was tried', async () => {
    const dir = tempDir()
    const result = await run(['run', '-c', config(dir, 'c', { credential: '' })], {})
    expect(result.code).toBe(4)
    expect(errorLines(result.stderr)[0].msg).toMatch(
      /no Azure credentials found; tried account_key_env .* sas_token_env/,
    )
  })

  test('Ctrl-C mid-upload leaves no visible blob and no manifest', async () => {
    const container = await newContainer()
    const dir = tempDir()
    const file = config(dir, container, {
      exports:
        `  - name: long\n    format: csv\n    query: select a * 100000 + b as i, repeat('x', 200) as pad from generate_series(1, 100000) a, generate_series(1, 100000) b\n`,
      extra: '  part_size: 5MB',
    })
    const child = spawn(process.execPath, [join(ROOT, 'mod.ts'), 'run', '-c', file], {
      env: { ...process.env, ...KEY_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d) => stderr += d)
    // Blocks are being uploaded once the blob shows among the uncommitted ones.
    const deadline = Date.now() + 30000
    while ((await listBlobs(container, { uncommitted: true })).length === 0 && Date.now() < deadline) {
      await Bun.sleep(200)
    }
    expect(await listBlobs(container, { uncommitted: true })).toHaveLength(1)
    child.kill('SIGINT')
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code).toBe(130)
    expect(errorLines(stderr)[0]).toMatchObject({ code: 'INTERRUPTED' })
    expect(await listBlobs(container)).toEqual([])
  }, 60000)

  test('doctor writes and deletes a probe and names the account', async () => {
    const container = await newContainer()
    const dir = tempDir()
    const result = await run(['doctor', '-c', config(dir, container), '--json'], KEY_ENV)
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout).destinations[0].steps).toEqual([
      { name: 'credentials', ok: true, detail: 'shared key (RIVET_AZURE_KEY) devstoreaccount1' },
      { name: 'reach', ok: true },
      { name: 'write', ok: true },
      { name: 'delete', ok: true },
    ])
    expect(await listBlobs(container)).toEqual([])
  })
})
