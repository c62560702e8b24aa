/**
 * The test fake-gcs-server (scripts/services.sh) and an independent client for it:
 * @google-cloud/storage, which shares no code with rivet's GCS path, creates buckets and reads
 * back what rivet wrote. A small proxy in front of the emulator shows what the emulator cannot:
 * which requests rivet sent, what happens when one of them fails, and the session status
 * queries that fake-gcs-server 1.56 gets wrong.
 */
import { Storage } from '@google-cloud/storage'
import { Buffer } from 'node:buffer'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** The emulator's endpoint. */
export const FAKE_GCS = 'http://127.0.0.1:4443'

/** An OAuth access token planted in GOOGLE_OAUTH_ACCESS_TOKEN (the emulator accepts any). */
export const GCS_TOKEN = 'ya29.planted-gcs-token-7c1e9a'

const storage = new Storage({ apiEndpoint: FAKE_GCS, projectId: 'test' })

/** Creates a bucket with a unique name and returns the name. */
export async function newBucket(): Promise<string> {
  const name = `rivet-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  await storage.createBucket(name)
  return name
}

/** Every object name in a bucket, sorted. */
export async function listObjects(bucket: string): Promise<string[]> {
  const [files] = await storage.bucket(bucket).getFiles()
  return files.map((f) => f.name).sort()
}

/** An object's bytes, or the bytes from `start` to the end. */
export async function getObject(bucket: string, name: string, start?: number): Promise<Uint8Array> {
  const [bytes] = await storage.bucket(bucket).file(name).download(start === undefined ? {} : { start })
  return new Uint8Array(bytes)
}

/** Writes an object whole, replacing what is there (to corrupt a part behind rivet's back). */
/** Deletes an object (the fake server holds objects in memory). */
export async function deleteObject(bucket: string, name: string): Promise<void> {
  await storage.bucket(bucket).file(name).delete()
}

export async function putObject(bucket: string, name: string, bytes: Uint8Array): Promise<void> {
  await storage.bucket(bucket).file(name).save(Buffer.from(bytes), { resumable: false })
}

/** A request the proxy saw. */
export interface SeenRequest {
  method: string
  /** Path and query. */
  url: string
  contentRange?: string
  authorization?: string
  /** Body length. */
  bytes: number
  /** When its headers (and so its token) reached the proxy, in ms since the epoch. */
  at: number
}

/** A chunk of a resumable upload (not a status query: those carry no bytes). */
export function isChunk(request: SeenRequest): boolean {
  return request.method === 'PUT' && request.url.includes('upload_id=') && request.bytes > 0
}

/**
 * What the proxy does with a request: pass it on; answer `status` without passing it on; or
 * pass it on and then answer `status` anyway (the emulator took the bytes, rivet sees a failure).
 */
export type ProxyAction = 'forward' | { status: number; afterForwarding?: boolean }

/** A running proxy. */
export interface GcsProxy {
  /** The endpoint to give rivet. */
  url: string
  /** Every request, in order. */
  seen: SeenRequest[]
  close(): void
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of req) chunks.push(chunk)
  return Buffer.concat(chunks)
}

function answer(res: ServerResponse, status: number, headers: Record<string, string> = {}, body = '') {
  res.writeHead(status, { 'content-type': 'application/json', ...headers })
  res.end(body || JSON.stringify({ error: { code: status, message: 'injected by the test proxy' } }))
}

/**
 * Starts a proxy to the emulator on a free port; `decide` picks what happens to each request.
 * fake-gcs-server 1.56 treats a status query (an empty PUT with `Content-Range: bytes *\/...`)
 * as the end of the upload and makes the object from what it has, so the proxy answers those
 * itself, as GCS does: 308 with the committed range, from the chunks the emulator accepted.
 */
export async function gcsProxy(
  decide: (request: SeenRequest) => ProxyAction = () => 'forward',
): Promise<GcsProxy> {
  const seen: SeenRequest[] = []
  /** Bytes each session (by upload_id) has committed, or `done`. */
  const sessions = new Map<string, number | 'done'>()
  let origin = ''
  const server = createServer(async (req, res) => {
    const at = Date.now()
    const bytes = await readBody(req)
    const request: SeenRequest = {
      method: req.method!,
      url: req.url!,
      contentRange: req.headers['content-range'],
      authorization: req.headers.authorization,
      bytes: bytes.length,
      at,
    }
    seen.push(request)
    const action = decide(request)
    if (action !== 'forward' && !action.afterForwarding) return answer(res, action.status)
    const uploadId = new URL(req.url!, origin).searchParams.get('upload_id')
    if (uploadId && req.method === 'PUT' && request.contentRange?.startsWith('bytes */')) {
      const committed = sessions.get(uploadId) ?? 0
      if (committed === 'done') return answer(res, 200, {}, '{}')
      return answer(res, 308, committed ? { range: `bytes=0-${committed - 1}` } : {}, '{}')
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)),
    ) as Record<string, string>
    const upstream = await fetch(FAKE_GCS + req.url, {
      method: req.method,
      headers,
      body: bytes.length ? new Uint8Array(bytes) as Uint8Array<ArrayBuffer> : undefined,
      redirect: 'manual',
    })
    const payload = new Uint8Array(await upstream.arrayBuffer())
    if (uploadId && isChunk(request)) {
      const range = /bytes=0-(\d+)/.exec(upstream.headers.get('range') ?? '')
      sessions.set(uploadId, upstream.status === 308 && range ? Number(range[1]) + 1 : 'done')
    }
    if (action !== 'forward') return answer(res, action.status)
    const out: Record<string, string> = {}
    upstream.headers.forEach((value, key) => {
      // Session URIs must lead back through the proxy.
      if (key === 'location') out[key] = value.replace(FAKE_GCS, origin)
      else if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(key)) {
        out[key] = value
      }
    })
    res.writeHead(upstream.status, out)
    res.end(payload)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { url: origin, seen, close: () => server.close() }
}
