/**
 * Request bodies as the stores receive them: a large upload part arrives whole, with its
 * Content-Length (S3 and Azure refuse a chunked body), and is sent without a copy of it; an S3
 * request signs the SHA-256 of the body it carries, so the store checks every byte.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type ChildProcess, spawn } from 'node:child_process'
import { createHash } from 'node:crypto'
import { fetchOrThrow } from '../../src/http/request.ts'
import { S3Client } from '../../src/destinations/s3/client.ts'
import { Secret } from '../../src/log/secret.ts'

/**
 * Answers every request with what it received, hashed as it streamed in. It runs in a process
 * of its own, so the bodies it takes in do not count in this process's memory.
 */
const SERVER = `
const { createServer } = require('node:http')
const { createHash } = require('node:crypto')
const server = createServer((req, res) => {
  const hash = createHash('sha256')
  let bytes = 0
  req.on('data', (chunk) => { hash.update(chunk); bytes += chunk.length })
  req.on('end', () => res.end(JSON.stringify({ headers: req.headers, bytes, sha256: hash.digest('hex') })))
})
server.listen(0, '127.0.0.1', () => console.log(server.address().port))
`

interface Received {
  headers: Record<string, string | undefined>
  bytes: number
  sha256: string
}

let server: ChildProcess
let url = ''

beforeAll(async () => {
  server = spawn(process.execPath, ['-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<string>((resolve) =>
    server.stdout!.once('data', (d) => resolve(String(d).trim()))
  )
  url = `http://127.0.0.1:${port}/`
})

afterAll(() => {
  server.kill()
})

const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex')

async function put(body: Uint8Array | string, headers: Record<string, string> = {}): Promise<Received> {
  return await (await fetchOrThrow('Put', url, { method: 'PUT', body, headers })).json() as Received
}

describe('fetchOrThrow', () => {
  test('a large byte body arrives whole, with its length, and is not copied to be sent', async () => {
    // Not a multiple of any slice size; every page written, so the body is resident.
    const body = new Uint8Array(256 * 1024 * 1024 + 12345)
    for (let i = 0; i < body.length; i += 4096) body[i] = (i / 4096) & 0xff
    body[body.length - 1] = 7
    const before = process.memoryUsage().rss
    let peak = before
    const sampler = setInterval(() => peak = Math.max(peak, process.memoryUsage().rss), 5)
    let got: Received
    try {
      got = await put(body, { 'x-part': '1' })
    } finally {
      clearInterval(sampler)
    }
    expect(got.headers['content-length']).toBe(String(body.length))
    expect(got.headers['transfer-encoding']).toBeUndefined()
    expect(got.headers['x-part']).toBe('1')
    expect(got.bytes).toBe(body.length)
    expect(got.sha256).toBe(sha256(body))
    // A copy would add the body's 256 MB.
    expect(peak - before).toBeLessThan(64 * 1024 * 1024)
  }, 60_000)

  test('small byte bodies and text bodies arrive as they are', async () => {
    for (const body of [new Uint8Array([1, 2, 3]), 'x'.repeat(300_000), new Uint8Array(0)]) {
      const got = await put(body)
      expect(got.bytes).toBe(body.length)
      expect(got.sha256).toBe(sha256(body))
      expect(got.headers['content-length']).toBe(String(body.length))
    }
  })
})

describe('S3Client', () => {
  test('signs the SHA-256 of the body it sends, and UNSIGNED-PAYLOAD without one', async () => {
    const s3 = new S3Client(
      {
        endpoint: url.slice(0, -1),
        region: { name: 'us-east-1', from: 'test' },
        bucket: 'b',
        pathStyle: true,
      },
      {
        source: 'test',
        refreshable: false,
        get: () =>
          Promise.resolve({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: new Secret('not-a-real-secret') }),
        invalidate: () => {},
      },
    )
    const body = new Uint8Array(3 * 1024 * 1024 + 5).map((_, i) => i * 7)
    for (const sent of [body, '<CompleteMultipartUpload/>']) {
      const got = await (await s3.send('UploadPart', 'PUT', 'k', { body: sent })).json() as Received
      expect(got.sha256).toBe(sha256(sent))
      expect(got.headers['x-amz-content-sha256']).toBe(sha256(sent))
      expect(got.headers.authorization).toContain('x-amz-content-sha256')
    }
    const get = await (await s3.send('GetObject', 'GET', 'k')).json() as Received
    expect(get.headers['x-amz-content-sha256']).toBe('UNSIGNED-PAYLOAD')
  })
})
