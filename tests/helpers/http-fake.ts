/**
 * A tiny HTTP server for fakes of credential endpoints: node:http on 127.0.0.1 with an
 * ephemeral port, every request recorded, and a handler that may also never answer (to test
 * timeouts).
 */
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A request the fake received. */
export interface FakeRequest {
  method: string
  /** Path and query. */
  url: string
  headers: IncomingHttpHeaders
  body: string
}

/** What the fake answers; `'hang'` keeps the connection open without a word. */
export type FakeAnswer =
  | { status: number; body?: string; headers?: Record<string, string> }
  | 'hang'

/** A running fake. */
export interface HttpFake {
  /** `http://127.0.0.1:<port>` */
  url: string
  requests: FakeRequest[]
  close(): Promise<void>
}

/** Starts a fake that answers every request with `handle`. */
export async function httpFake(handle: (request: FakeRequest) => FakeAnswer): Promise<HttpFake> {
  const requests: FakeRequest[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      }
      requests.push(request)
      const answer = handle(request)
      if (answer === 'hang') return
      res.writeHead(answer.status, answer.headers ?? {})
      res.end(answer.body ?? '')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
