/**
 * Azure keys, SAS tokens, connection strings and anonymous access against Azurite, which checks
 * SharedKey signatures and SAS tokens for real. What rivet wrote is read back with
 * @azure/storage-blob; failures exit with the right code before data moves and never print a
 * key or a SAS signature.
 */
import { BlobServiceClient, StorageSharedKeyCredential } from '@azure/storage-blob'
import { beforeAll, describe, expect, test } from 'bun:test'
import {
  accountSas,
  AZURITE,
  listBlobs,
  newContainer,
  SAS,
  sasSignatures,
  WRITE_ONLY_CONTAINER,
  WRONG_AZURE_KEY,
} from '../helpers/azure.ts'
import { errorLines, rivet } from '../helpers/cli.ts'
import { createTypedTable, objectStoreConfig } from '../helpers/cloud-export.ts'
import { tempDir } from '../helpers/files.ts'

const TABLE = 'rivet_azure_keys_rows'
const DEV_ENDPOINT = 'http://127.0.0.1:10000/devstoreaccount1'

beforeAll(() => createTypedTable(TABLE))

/** A config exporting to `container` with `destination` lines after `type` and `container`. */
function config(container: string, destination: string): string {
  return objectStoreConfig(
    tempDir(),
    `  type: azure\n  container: ${container}\n  prefix: keys/\n${destination}`,
    `  - name: rows\n    table: ${TABLE}\n`,
  )
}

const account = `  account_name: ${AZURITE.account}\n  endpoint: ${AZURITE.endpoint}\n`

/** Runs rivet; no planted key or SAS signature may show in anything it printed. */
async function run(args: string[], env: Record<string, string>, extraSecrets: string[] = []) {
  const result = await rivet(args, { env })
  for (
    const secret of [
      AZURITE.key,
      WRONG_AZURE_KEY,
      ...Object.values(SAS).flatMap(sasSignatures),
      ...extraSecrets,
    ]
  ) {
    expect(result.stdout + result.stderr).not.toContain(secret)
  }
  return result
}

/** Exports and checks that the run's part and manifest are in the container. */
async function exportsTo(container: string, file: string, env: Record<string, string>) {
  const result = await run(['run', '-c', file, '--json'], env)
  expect(result.stderr).not.toContain('"level":"error"')
  expect(result.code).toBe(0)
  const runId = JSON.parse(result.stdout).exports[0].run_id
  expect((await listBlobs(container)).filter((n) => n.includes(runId))).toEqual([
    `keys/rows/_rivet/runs/${runId}.json`,
    `keys/rows/rows-${runId}-00000.parquet`,
  ])
  return result
}

describe('azure keys and SAS', () => {
  test('the right account key works; a wrong one exits 4 naming the source, with nothing written', async () => {
    const container = await newContainer()
    const file = config(container, `${account}  account_key_env: KEY\n`)
    await exportsTo(container, file, { KEY: AZURITE.key })
    const other = await newContainer()
    const wrong = await run(['run', '-c', config(other, `${account}  account_key_env: KEY\n`)], {
      KEY: WRONG_AZURE_KEY,
    })
    expect(wrong.code).toBe(4)
    const [error] = errorLines(wrong.stderr)
    expect(error.msg).toContain('refused GetContainerProperties with 403 AuthorizationFailure')
    expect(error.msg).toContain(
      'credentials from shared key (KEY): check that the key in KEY is a current key of account devstoreaccount1',
    )
    expect(await listBlobs(other, { uncommitted: true })).toEqual([])
  })

  test('an expired SAS exits 4 before data moves: no request reaches the container', async () => {
    const container = await newContainer()
    const result = await run(['run', '-c', config(container, `${account}  sas_token_env: SAS\n`), '--json'], {
      SAS: `?${SAS.expired}`,
    })
    expect(result.code).toBe(4)
    expect(errorLines(result.stderr)[0]).toMatchObject({
      code: 'AUTH_EXPIRED',
      msg: `destination azure container ${container}: SAS token (SAS) expired at 2021-01-01T00:00:00.000Z; ` +
        'issue a new SAS token and put it in SAS',
    })
    expect(await listBlobs(container, { uncommitted: true })).toEqual([])
  })

  test('a SAS with less than an hour left warns, and still exports', async () => {
    const container = await newContainer()
    const sas = accountSas(new Date(Date.now() + 30 * 60_000))
    const result = await run(['run', '-c', config(container, `${account}  sas_token_env: SAS\n`), '--json'], {
      SAS: sas,
    }, sasSignatures(sas))
    expect(result.code).toBe(0)
    const warnings = result.stderr.split('\n').filter((l) => l.includes('"level":"warn"')).map((l) =>
      JSON.parse(l)
    )
    expect(warnings.map((w) => w.msg)).toContainEqual(
      expect.stringMatching(
        /^destination azure container \S+: SAS token \(SAS\) expires at \S+ \(in (29|30) min\); rivet cannot renew a SAS token/,
      ),
    )
  })

  test('a write-only SAS (sp=cw) still uploads the parts and the manifest', async () => {
    const container = await newContainer(WRITE_ONLY_CONTAINER)
    expect(new URLSearchParams(SAS.writeOnly).get('sp')).toBe('cw')
    await exportsTo(container, config(container, `${account}  sas_token_env: SAS\n`), { SAS: SAS.writeOnly })
  })

  test('connection strings: AccountKey with BlobEndpoint, SharedAccessSignature, UseDevelopmentStorage', async () => {
    const container = await newContainer()
    const file = config(container, '  connection_string_env: CONN\n')
    await exportsTo(container, file, {
      CONN: `DefaultEndpointsProtocol=http;AccountName=${AZURITE.account};AccountKey=${AZURITE.key};` +
        `BlobEndpoint=${DEV_ENDPOINT};`,
    })
    await exportsTo(container, file, {
      CONN: `BlobEndpoint=${DEV_ENDPOINT}/;SharedAccessSignature=${SAS.valid}`,
    })
    const dev = await exportsTo(container, file, { CONN: 'UseDevelopmentStorage=true' })
    expect(JSON.parse(dev.stdout).exports[0].location).toBe(`${DEV_ENDPOINT}/${container}/keys/rows`)
  })

  test('a connection string with a wrong key exits 4 naming it; an expired SAS in one exits 4 at once', async () => {
    const container = await newContainer()
    const file = config(container, '  connection_string_env: CONN\n')
    const wrong = await run(['run', '-c', file], {
      CONN: `AccountName=${AZURITE.account};AccountKey=${WRONG_AZURE_KEY};BlobEndpoint=${DEV_ENDPOINT}`,
    })
    expect(wrong.code).toBe(4)
    expect(errorLines(wrong.stderr)[0].msg).toContain('credentials from connection string (CONN)')
    const expired = await run(['run', '-c', file], {
      CONN: `BlobEndpoint=${DEV_ENDPOINT};SharedAccessSignature=${SAS.expired}`,
    })
    expect(expired.code).toBe(4)
    expect(errorLines(expired.stderr)[0].msg).toContain('connection string (CONN) SAS expired at 2021-01-01')
    expect(await listBlobs(container, { uncommitted: true })).toEqual([])
  })

  test('EndpointSuffix and DefaultEndpointsProtocol build the endpoint; a bad string never quotes its key', async () => {
    const file = config('c', '  connection_string_env: CONN\n')
    const result = await run(['doctor', '-c', file, '--json'], {
      CONN:
        `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${AZURITE.key};EndpointSuffix=blob-test.invalid`,
    })
    const destination = JSON.parse(result.stdout).destinations[0]
    expect(destination.location).toBe('https://acct.blob.blob-test.invalid/c/keys/doctor')
    expect(destination.steps[0]).toEqual({
      name: 'credentials',
      ok: true,
      detail: 'connection string (CONN) acct',
    })
    const bad = await run(['run', '-c', file], { CONN: `AccountName=acct;AccountKey=${AZURITE.key};oops` })
    expect(bad.code).toBe(2)
    expect(errorLines(bad.stderr)[0].msg).toBe(
      'destination azure container c: the connection string in CONN has a part that is not Key=Value',
    )
  })

  test('allow_anonymous reads a public container (validate) and is refused writing a private one', async () => {
    const container = await newContainer()
    const service = new BlobServiceClient(
      AZURITE.endpoint,
      new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
    )
    await service.getContainerClient(container).setAccessPolicy('container')
    await exportsTo(container, config(container, `${account}  account_key_env: KEY\n`), { KEY: AZURITE.key })
    const anonymous = config(container, `${account}  allow_anonymous: true\n`)
    const validated = await run(['validate', '-c', anonymous, '--json'], {})
    expect(validated.code).toBe(0)
    const doctor = await run(['doctor', '-c', anonymous, '--json'], {})
    expect(JSON.parse(doctor.stdout).destinations[0].steps.slice(0, 2)).toEqual([
      { name: 'credentials', ok: true, detail: 'anonymous (allow_anonymous)' },
      { name: 'reach', ok: true },
    ])
    const privateContainer = await newContainer()
    const refused = await run(
      ['run', '-c', config(privateContainer, `${account}  allow_anonymous: true\n`)],
      {},
    )
    expect(refused.code).toBe(4)
    expect(errorLines(refused.stderr)[0].msg).toContain(
      'credentials from anonymous (allow_anonymous): the container does not allow anonymous access',
    )
  })

  test('allow_anonymous with a credential, and half a service principal, are config errors naming the keys', async () => {
    const both = await run([
      'run',
      '-c',
      config('c', `${account}  allow_anonymous: true\n  account_key_env: KEY\n`),
    ], {
      KEY: AZURITE.key,
    })
    expect(both.code).toBe(2)
    expect(errorLines(both.stderr)[0].msg).toContain(
      'allow_anonymous and account_key_env conflict: give one credential',
    )
    const half = await run(
      ['run', '-c', config('c', `${account}  tenant_id: t\n  client_secret_env: S\n`)],
      {},
    )
    expect(half.code).toBe(2)
    expect(errorLines(half.stderr)[0].msg).toContain(
      'a service principal needs tenant_id, client_id and client_secret_env',
    )
    const noAccount = await run(['run', '-c', config('c', '  account_key_env: KEY\n')], { KEY: AZURITE.key })
    expect(noAccount.code).toBe(2)
    expect(errorLines(noAccount.stderr)[0].msg).toContain(
      'account_name is required unless connection_string_env',
    )
  })
})
