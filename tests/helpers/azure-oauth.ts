/**
 * Bearer tokens checked for real: a second Azurite, over HTTPS with `--oauth basic`, which
 * refuses a token whose lifetime (nbf, exp), issuer or audience is wrong (it does not check
 * signatures). Its certificate comes from a throwaway CA that rivet trusts through the standard
 * NODE_EXTRA_CA_CERTS (Bun) and DENO_CERT (Deno). Each test file starts its own, in memory.
 */
import {
  BlobServiceClient,
  type StoragePipelineOptions,
  StorageSharedKeyCredential,
} from '@azure/storage-blob'
import { spawn, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { AZURITE } from './azure.ts'
import { ROOT } from './cli.ts'
import { tempDir } from './files.ts'

/** A running HTTPS Azurite. */
export interface OAuthAzurite {
  /** `https://127.0.0.1:<port>/devstoreaccount1` */
  endpoint: string
  /** The variables that make rivet trust its certificate. */
  env: Record<string, string>
  /** The SDK, signed with the account key, reading and writing it independently of rivet. */
  service: BlobServiceClient
  /** How many requests it has refused for an expired token so far (from its debug log). */
  expiredRefusals(): number
  stop(): void
}

function openssl(dir: string, args: string[]): void {
  const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' })
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`)
}

/** A CA and a server certificate for 127.0.0.1 signed by it (rustls refuses a self-signed leaf). */
function certificates(dir: string): { ca: string; cert: string; key: string } {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=rivet test CA',
  ])
  openssl(dir, [
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  ])
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n',
  )
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ])
  return { ca: join(dir, 'ca.pem'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key') }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** Starts an HTTPS Azurite that checks bearer tokens; resolves once it answers. */
export async function startOAuthAzurite(): Promise<OAuthAzurite> {
  const dir = tempDir('rivet-azurite-oauth-')
  const files = certificates(dir)
  const port = await freePort()
  const child = spawn(join(ROOT, 'node_modules', '.bin', 'azurite-blob'), [
    '--blobHost',
    '127.0.0.1',
    '--blobPort',
    String(port),
    '--inMemoryPersistence',
    '--oauth',
    'basic',
    '--debug',
    join(dir, 'debug.log'),
    '--cert',
    files.cert,
    '--key',
    files.key,
    '--disableTelemetry',
    '--skipApiVersionCheck',
    '--silent',
  ], { stdio: 'ignore' })
  const endpoint = `https://127.0.0.1:${port}/${AZURITE.account}`
  const ca = readFileSync(files.ca, 'utf8')
  for (let i = 0;; i++) {
    try {
      await fetch(`${endpoint}?comp=list`, { tls: { ca } } as RequestInit)
      break
    } catch (error) {
      if (i > 100) throw error
      await Bun.sleep(100)
    }
  }
  const options = { tlsOptions: { ca } } as StoragePipelineOptions
  return {
    endpoint,
    env: { NODE_EXTRA_CA_CERTS: files.ca, DENO_CERT: files.ca },
    service: new BlobServiceClient(
      endpoint,
      new StorageSharedKeyCredential(AZURITE.account, AZURITE.key),
      options,
    ),
    expiredRefusals: () =>
      // One ErrorMiddleware line per refused request carries the reason.
      readFileSync(join(dir, 'debug.log'), 'utf8').split('\n')
        .filter((line) => line.includes('ErrorName=StorageError') && line.includes('The token is expired'))
        .length,
    stop: () => child.kill(),
  }
}

/** Names of the committed blobs in a container of `azurite`, sorted. */
export async function oauthBlobs(azurite: OAuthAzurite, container: string): Promise<string[]> {
  const names: string[] = []
  for await (const blob of azurite.service.getContainerClient(container).listBlobsFlat()) {
    names.push(blob.name)
  }
  return names.sort()
}
