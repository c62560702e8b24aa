/**
 * Azure bearer tokens end to end: each sign-in flow (service principal, workload identity,
 * managed identity over IMDS and App Service, the default chain) gets its token from the fakes
 * and exports to an HTTPS Azurite that refuses expired tokens. The fakes check every token
 * request; the tests check the requests, the refreshes before expiry, the retry after a refused
 * token, `doctor`, and that no secret or token is ever printed.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { AZURE_APP, AZURE_PLANTED, type AzureFakes, azureFakes } from '../helpers/azure-fakes.ts'
import { type OAuthAzurite, oauthBlobs, startOAuthAzurite } from '../helpers/azure-oauth.ts'
import { errorLines, rivet, type Runtime } from '../helpers/cli.ts'
import { objectStoreConfig } from '../helpers/cloud-export.ts'
import { tempDir } from '../helpers/files.ts'

let azurite: OAuthAzurite
const fakes: AzureFakes[] = []

beforeAll(async () => {
  azurite = await startOAuthAzurite()
})
afterAll(async () => {
  azurite.stop()
  for (const fake of fakes) await fake.server.close()
})

async function fake(options: Parameters<typeof azureFakes>[0] = {}): Promise<AzureFakes> {
  const started = await azureFakes(options)
  fakes.push(started)
  return started
}

async function newContainer(): Promise<string> {
  const name = `rivet-oauth-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  await azurite.service.getContainerClient(name).create()
  return name
}

const SMALL = `  - name: rows\n    query: select i, md5(i::text) as label from generate_series(1, 1000) i\n`

/** A config exporting `exports` to `container` on the HTTPS Azurite. */
function config(container: string, credential: string, exports = SMALL, extra = ''): string {
  return objectStoreConfig(
    tempDir(),
    `  type: azure\n  container: ${container}\n  prefix: oauth/\n  account_name: devstoreaccount1\n` +
      `  endpoint: ${azurite.endpoint}\n${credential}${extra}`,
    exports,
  )
}

/** The environment nothing else may leak into: no Azure variable of the machine's. */
function environment(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const cleared = Object.fromEntries(
    Object.keys(process.env).filter((k) => k.startsWith('AZURE_') || k.startsWith('IDENTITY_')).map((
      k,
    ) => [k, undefined]),
  )
  return { ...cleared, ...azurite.env, ...env }
}

/** Runs rivet; no planted secret and no issued token may show in anything it printed. */
async function run(args: string[], env: Record<string, string | undefined>, runtime: Runtime = 'bun') {
  const result = await rivet(args, { env: environment(env), runtime })
  for (const secret of Object.values(AZURE_PLANTED)) {
    expect(result.stdout + result.stderr).not.toContain(secret)
  }
  return result
}

/** Runs an export and checks its part and manifest landed. */
async function exportsTo(
  container: string,
  file: string,
  env: Record<string, string | undefined>,
  runtime?: Runtime,
) {
  const result = await run(['run', '-c', file, '--json'], env, runtime)
  expect(result.stderr).not.toContain('"level":"error"')
  expect(result.code).toBe(0)
  const runId = JSON.parse(result.stdout).exports[0].run_id
  const names = (await oauthBlobs(azurite, container)).filter((n) => n.includes(runId))
  expect(names).toHaveLength(2)
  return names
}

const SP =
  `  tenant_id: ${AZURE_APP.tenant}\n  client_id: ${AZURE_APP.clientId}\n  client_secret_env: SECRET\n`

describe('azure bearer tokens', () => {
  test('Azurite refuses a request without a valid token (the check is real)', async () => {
    const container = await newContainer()
    const f = await fake({ staleTokens: 100 })
    const refusedBefore = azurite.expiredRefusals()
    const result = await run(['run', '-c', config(container, SP)], {
      SECRET: AZURE_PLANTED.clientSecret,
      AZURE_AUTHORITY_HOST: f.server.url,
    })
    expect(result.code).toBe(4)
    // The first token is refused, one fresh one is fetched and refused too: then exit 4.
    expect(f.issued).toHaveLength(2)
    expect(azurite.expiredRefusals()).toBe(refusedBefore + 2)
    const [error] = errorLines(result.stderr)
    expect(error.msg).toContain('refused GetContainerProperties with 403 AuthenticationFailed')
    expect(error.msg).toContain(
      'credentials from service principal (client secret from SECRET): create a new client secret',
    )
    expect(await oauthBlobs(azurite, container)).toEqual([])
  })

  for (const runtime of ['bun', 'deno'] as const) {
    test(`${runtime}: a service principal's client-credentials request is right, and the export lands`, async () => {
      const container = await newContainer()
      const f = await fake()
      await exportsTo(container, config(container, SP), {
        SECRET: AZURE_PLANTED.clientSecret,
        AZURE_AUTHORITY_HOST: `${f.server.url}/`,
      }, runtime)
      expect(f.refused).toEqual([])
      expect(f.issued).toHaveLength(1)
      const request = f.issued[0].request
      expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded')
      expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
        grant_type: 'client_credentials',
        client_id: AZURE_APP.clientId,
        scope: 'https://storage.azure.com/.default',
        client_secret: AZURE_PLANTED.clientSecret,
      })
    })
  }

  test('a wrong client secret exits 4 with the AADSTS code, naming the source, never the secret', async () => {
    const f = await fake()
    const result = await run(['run', '-c', config('c', SP)], {
      SECRET: AZURE_PLANTED.wrongClientSecret,
      AZURE_AUTHORITY_HOST: f.server.url,
    })
    expect(result.code).toBe(4)
    expect(errorLines(result.stderr)[0]).toMatchObject({
      code: 'AUTH_FAILED',
      msg: `service principal (client secret from SECRET) at ${f.server.url} was refused: invalid_client: ` +
        'AADSTS7000215: Invalid client secret provided.; check tenant_id, client_id and the secret in SECRET ' +
        '(it may have expired)',
    })
  })

  test('short-lived tokens are renewed before they expire during a multi-block export', async () => {
    const container = await newContainer()
    const f = await fake({ lifetime: 2 })
    // A pause longer than a token's lifetime halfway through (after some blocks went up), so the
    // export outlives its first token however fast the rest of it runs.
    const big =
      `  - name: big\n    format: csv\n    query: >-\n      select i, repeat(md5(i::text), 8) as pad ` +
      `from generate_series(1, 150000) i where case when i = 75000 then pg_sleep(2.5)::text = '' else true end\n`
    const refusedBefore = azurite.expiredRefusals()
    await exportsTo(container, config(container, SP, big, '  part_size: 5MB\n  upload_concurrency: 2\n'), {
      SECRET: AZURE_PLANTED.clientSecret,
      AZURE_AUTHORITY_HOST: f.server.url,
    })
    // Renewed while the old one was valid (or, after a pause in requests, before the next one):
    // the export outlived its first token, and Azurite never saw an expired one. Tokens are
    // renewed when a request needs one, so how many came depends on how the requests were
    // spread in time, which a loaded machine stretches: only "more than one" is certain.
    expect(azurite.expiredRefusals()).toBe(refusedBefore)
    expect(f.issued.length).toBeGreaterThanOrEqual(2)
    const blob = (await oauthBlobs(azurite, container)).find((n) => n.endsWith('.csv'))!
    const blocks = await azurite.service.getContainerClient(container).getBlockBlobClient(blob).getBlockList(
      'committed',
    )
    expect(blocks.committedBlocks!.length).toBeGreaterThanOrEqual(7)
  }, 120000)

  test('a token refused before its stated expiry is renewed once and the request retried', async () => {
    const container = await newContainer()
    const f = await fake({ staleTokens: 1 })
    const refusedBefore = azurite.expiredRefusals()
    await exportsTo(container, config(container, SP), {
      SECRET: AZURE_PLANTED.clientSecret,
      AZURE_AUTHORITY_HOST: f.server.url,
    })
    expect(f.issued).toHaveLength(2)
    expect(azurite.expiredRefusals()).toBe(refusedBefore + 1)
  })

  test('doctor shows the source, the masked identity and the expiry', async () => {
    const container = await newContainer()
    const f = await fake({ lifetime: 3000 })
    const result = await run(['doctor', '-c', config(container, SP), '--json'], {
      SECRET: AZURE_PLANTED.clientSecret,
      AZURE_AUTHORITY_HOST: f.server.url,
    })
    expect(result.code).toBe(0)
    const steps = JSON.parse(result.stdout).destinations[0].steps
    expect(steps[0].detail).toMatch(
      new RegExp(
        `^service principal \\(client secret from SECRET\\) client 1111\\*\\*\\*\\*5555 in tenant ${AZURE_APP.tenant}, ` +
          'expires \\S+Z \\(in (49|50) min, refreshed automatically\\)$',
      ),
    )
    expect(steps.slice(1).map((s: { ok: boolean }) => s.ok)).toEqual([true, true, true])
  })

  test('workload identity: the assertion is the federated file, read again on every renewal', async () => {
    const container = await newContainer()
    const tokenFile = join(tempDir(), 'azure-identity-token')
    // The first token is refused: the renewal must present the file's rotated content.
    const f = await fake({ staleTokens: 1, federatedFile: tokenFile })
    await exportsTo(container, config(container, ''), {
      AZURE_FEDERATED_TOKEN_FILE: tokenFile,
      AZURE_CLIENT_ID: AZURE_APP.clientId,
      AZURE_TENANT_ID: AZURE_APP.tenant,
      AZURE_AUTHORITY_HOST: f.server.url,
    })
    expect(f.refused).toEqual([])
    expect(f.issued).toHaveLength(2)
    const assertions = f.issued.map((t) => new URLSearchParams(t.request.body))
    expect(assertions[0].get('client_assertion_type')).toBe(
      'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    )
    expect(assertions[0].get('client_assertion')).toBe(AZURE_PLANTED.federatedToken)
    expect(assertions[1].get('client_assertion')).toBe(AZURE_PLANTED.federatedTokenRotated)
    expect(assertions[0].has('client_secret')).toBe(false)
  })

  test('managed identity over IMDS: Metadata header, api-version, resource and the user-assigned client_id', async () => {
    const container = await newContainer()
    const f = await fake()
    await exportsTo(
      container,
      config(container, `  managed_identity: true\n  client_id: ${AZURE_APP.userAssignedClientId}\n`),
      { AZURE_POD_IDENTITY_AUTHORITY_HOST: f.server.url },
    )
    expect(f.issued.map((t) => t.by)).toEqual(['imds'])
    const { request } = f.issued[0]
    expect(request.method).toBe('GET')
    expect(request.headers.metadata).toBe('true')
    const url = new URL(request.url, f.server.url)
    expect(url.pathname).toBe('/metadata/identity/oauth2/token')
    expect(Object.fromEntries(url.searchParams)).toEqual({
      'api-version': '2018-02-01',
      resource: 'https://storage.azure.com/',
      client_id: AZURE_APP.userAssignedClientId,
    })
  })

  test('managed identity on App Service: IDENTITY_ENDPOINT with the IDENTITY_HEADER secret', async () => {
    const container = await newContainer()
    const f = await fake()
    await exportsTo(container, config(container, '  managed_identity: true\n'), {
      IDENTITY_ENDPOINT: `${f.server.url}/msi/token`,
      IDENTITY_HEADER: AZURE_PLANTED.identityHeader,
    })
    expect(f.issued.map((t) => t.by)).toEqual(['app-service'])
    const { request } = f.issued[0]
    expect(request.headers['x-identity-header']).toBe(AZURE_PLANTED.identityHeader)
    expect(Object.fromEntries(new URL(request.url, f.server.url).searchParams)).toEqual({
      'api-version': '2019-08-01',
      resource: 'https://storage.azure.com/',
    })
  })

  test('the default chain takes the environment service principal first, then managed identity', async () => {
    const container = await newContainer()
    const f = await fake()
    await exportsTo(container, config(container, ''), {
      AZURE_TENANT_ID: AZURE_APP.tenant,
      AZURE_CLIENT_ID: AZURE_APP.clientId,
      AZURE_CLIENT_SECRET: AZURE_PLANTED.clientSecret,
      AZURE_AUTHORITY_HOST: f.server.url,
      AZURE_POD_IDENTITY_AUTHORITY_HOST: f.server.url,
    })
    expect(f.issued.map((t) => t.by)).toEqual(['entra'])
    await exportsTo(container, config(container, ''), { AZURE_POD_IDENTITY_AUTHORITY_HOST: f.server.url })
    expect(f.issued.map((t) => t.by)).toEqual(['entra', 'imds'])
  })

  test('with nothing to sign in with, exit 4 lists every link tried and why', async () => {
    const result = await run(['run', '-c', config('c', '')], {
      AZURE_CLIENT_ID: AZURE_APP.clientId,
      AZURE_POD_IDENTITY_AUTHORITY_HOST: 'http://127.0.0.1:1',
    })
    expect(result.code).toBe(4)
    const [error] = errorLines(result.stderr)
    expect(error.code).toBe('AUTH_MISSING')
    expect(error.msg).toStartWith(
      'destination azure container c: no Azure credentials found; tried account_key_env / sas_token_env / ' +
        'connection_string_env / client_secret_env / managed_identity in the destination (none set); ' +
        'environment service principal (AZURE_TENANT_ID not set); workload identity (AZURE_FEDERATED_TOKEN_FILE ' +
        'not set); managed identity (App Service) (IDENTITY_ENDPOINT and IDENTITY_HEADER not set); ' +
        'managed identity (instance metadata) at http://127.0.0.1:1: ',
    )
    expect(error.msg).toEndWith('or allow_anonymous: true for Azurite or a public container')
  })
})
