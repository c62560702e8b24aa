/**
 * The container image (Dockerfile) for amd64, without a Docker engine: its final stage's files
 * are assembled into a root directory exactly as the COPY lines list them and the binary runs
 * there as the image's non-root user, with the root read-only and a volume at the workdir: the
 * quickstart, and an export to the test MinIO over TLS whose certificate only the image's CA
 * bundle can vouch for. The files of the other stages come from this machine: `build` is
 * dist/rivet (scripts/build.ts, as that stage runs it); `runtime` and `certs` are this Debian 12,
 * the release their debian:bookworm-slim is.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import {
  appendFileSync,
  chownSync,
  cpSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { connect } from 'node:net'
import { createServer, type Server } from 'node:tls'
import { dirname, join } from 'node:path'
import { parse, stringify } from 'yaml'
import { VERSION } from '../../src/version.ts'
import { ROOT } from '../helpers/cli.ts'
import { listFiles, tempDir } from '../helpers/files.ts'
import { getObject, listKeys, MINIO_ENV, newBucket } from '../helpers/s3.ts'
import { assemble, type ImageFile, linked, readImage, runImage } from './image.ts'
import { expectQuickstartOutput } from './quickstart.ts'

const image = readImage('amd64')
const root = tempDir('rivet-image-')
const binary = join(ROOT, 'dist', 'rivet')

/** Where this machine holds the bytes of a file another stage makes. */
function resolve(file: ImageFile): string {
  const stage = image.stages.get(file.from)
  const runs = stage?.instructions.filter((i) => i.op === 'RUN').map((i) => i.args).join('\n') ?? ''
  if (file.from === 'build') {
    expect(runs).toContain('scripts/build.ts --target=$target --outfile /out/rivet')
    expect(file.source).toBe('/out/rivet')
    return binary
  }
  if (file.from === 'runtime' || file.from === 'certs') {
    expect(stage!.base).toBe('debian:bookworm-slim')
    expect(readFileSync('/etc/os-release', 'utf8')).toContain('VERSION_CODENAME=bookworm')
    // The C runtime as the base image has it; the bundle from Debian's ca-certificates package.
    if (file.from === 'runtime') expect(runs).toBe('')
    else expect(runs).toContain('apt-get install -y --no-install-recommends ca-certificates')
    return file.source
  }
  throw new Error(`COPY --from=${file.from}: no stand-in for that stage`)
}

/** A volume for the workdir, owned by the image's user as a runtime's fsGroup would make it. */
function volume(): string {
  const dir = tempDir('rivet-volume-')
  cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true })
  const [uid, gid] = image.user.split(':').map(Number)
  for (const path of ['', ...listFiles(dir)]) {
    chownSync(join(dir, path), uid, gid)
    if (path) chownSync(dirname(join(dir, path)), uid, gid)
  }
  return dir
}

/** A TLS endpoint in front of the test MinIO, with a self-signed certificate for 127.0.0.1. */
let proxy: Server
let ca: string
let endpoint: string

beforeAll(async () => {
  assemble(image, root, resolve)
  const dir = tempDir('rivet-tls-')
  const made = spawnSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=rivet image test',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
  ], { encoding: 'utf8' })
  if (made.status !== 0) throw new Error(made.stderr)
  ca = readFileSync(join(dir, 'cert.pem'), 'utf8')
  proxy = createServer({ cert: ca, key: readFileSync(join(dir, 'key.pem')) }, (client) => {
    const upstream = connect(9000, '127.0.0.1')
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
  await new Promise<void>((ready) => proxy.listen(0, '127.0.0.1', ready))
  endpoint = `https://127.0.0.1:${(proxy.address() as { port: number }).port}`
})

afterAll(() => {
  proxy?.close()
  rmSync(root, { recursive: true, force: true }) // a copy of the 123 MB binary
})

describe('the container image (amd64), assembled from the Dockerfile', () => {
  test('holds the listed files only, with every library the binary links', () => {
    const files = listFiles(root).map((f) => `/${f}`)
    expect(files).toEqual(image.files.map((f) => f.path).sort())
    expect(files).toContain('/etc/ssl/certs/ca-certificates.crt')
    expect(image.entrypoint).toEqual(['rivet'])
    expect(image.user).toBe('65532:65532')
    expect(image.env.SSL_CERT_FILE).toBe('/etc/ssl/certs/ca-certificates.crt')
    expect(readFileSync(join(root, 'etc', 'passwd'), 'utf8')).toContain('rivet:x:65532:65532:')
    const { interpreter, needed } = linked(binary)
    expect(files).toContain(interpreter)
    expect(needed.filter((n) => !files.some((f) => f.startsWith('/lib') && f.endsWith(`/${n}`)))).toEqual([])
  })

  test('rivet --version runs from the entrypoint', async () => {
    const run = await runImage(image, root, volume(), ['--version'])
    expect(run.stderr).toBe('')
    expect(run.stdout).toMatch(new RegExp(`^rivet ${VERSION} \\([0-9a-f]{7,}(-dirty)?, bun-linux-x64\\)\\n$`))
  })

  test('runs the quickstart as uid 65532 on a read-only root, writing only to the volume', async () => {
    const dir = volume()
    const run = await runImage(image, root, dir, ['run', '-c', 'examples/quickstart.yaml', '--json'])
    expect(run.stderr).not.toContain('"level":"error"')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout).status).toBe('succeeded')
    for (const file of listFiles(join(dir, 'out'))) expect(statSync(join(dir, 'out', file)).uid).toBe(65532)
    await expectQuickstartOutput(join(dir, 'out'))
  })

  test('exports to MinIO over TLS once, and only once, its CA is in the image bundle', async () => {
    const bucket = await newBucket('rivet-image')
    const dir = volume()
    const config = parse(readFileSync(join(ROOT, 'examples', 'quickstart.yaml'), 'utf8'))
    config.destination = {
      type: 's3',
      bucket,
      endpoint,
      access_key_env: 'RIVET_S3_KEY',
      secret_key_env: 'RIVET_S3_SECRET',
    }
    writeFileSync(join(dir, 'examples', 's3.yaml'), stringify(config, { lineWidth: 0 }))
    const args = ['run', '-c', 'examples/s3.yaml', '--json']

    const refused = await runImage(image, root, dir, args, MINIO_ENV)
    expect(refused.code).toBe(5)
    expect(JSON.parse(refused.stdout).error).toMatchObject({
      code: 'DESTINATION_UNREACHABLE',
      message: expect.stringContaining(`S3 bucket ${bucket} at ${endpoint} is unreachable`),
    })
    expect(JSON.parse(refused.stdout).error.message).toMatch(/self.signed certificate/)
    expect(await listKeys(bucket)).toEqual([])

    // What a derived image (or a mounted bundle) does to trust a private CA.
    const bundle = join(root, 'etc', 'ssl', 'certs', 'ca-certificates.crt')
    const stock = readFileSync(bundle)
    try {
      appendFileSync(bundle, ca)
      const run = await runImage(image, root, dir, args, MINIO_ENV)
      expect(run.stderr).not.toContain('"level":"error"')
      expect(run.code).toBe(0)
    } finally {
      writeFileSync(bundle, stock)
    }
    const copy = tempDir('rivet-image-s3-')
    for (const key of (await listKeys(bucket)).filter((k) => k.endsWith('.parquet'))) {
      mkdirSync(dirname(join(copy, key)), { recursive: true })
      writeFileSync(join(copy, key), await getObject(bucket, key))
    }
    await expectQuickstartOutput(copy)
  })
})
