/**
 * An HTTP proxy in front of an object store that passes every request through unchanged (the
 * Host header too, which S3 signatures cover) except one chosen request, which it holds: the
 * store never sees it and rivet never gets an answer. A test kills rivet while it waits, to
 * crash it at exactly that step of a commit. Or one request whose answer is lost on the way back.
 */
import { createServer, type IncomingMessage, request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A running proxy. */
export interface HoldProxy {
  /** `http://127.0.0.1:<port>`: the endpoint to give rivet. */
  url: string
  /** Resolves with the held request's method and path once it arrives. */
  held: Promise<string>
  close(): void
}

/**
 * Starts a proxy to `upstream` (`host:port`) that holds the `nth` (1-based) request for which
 * `matches(method, decoded path and query)` is true.
 */
export async function holdProxy(
  upstream: string,
  matches: (method: string, url: string) => boolean,
  nth = 1,
): Promise<HoldProxy> {
  const [host, port] = upstream.split(':')
  let seen = 0
  let release!: (what: string) => void
  const held = new Promise<string>((resolve) => release = resolve)
  const waiting: IncomingMessage[] = []
  const server = createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '')
    if (matches(req.method!, url) && ++seen === nth) {
      waiting.push(req)
      // Read the body so the client finishes sending, then answer nothing.
      req.resume()
      req.on('end', () => release(`${req.method} ${url}`))
      return
    }
    const forward = httpRequest(
      { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers)
        answer.pipe(res)
      },
    )
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${address.port}`,
    held,
    close: () => {
      for (const req of waiting) req.socket.destroy()
      server.closeAllConnections()
      server.close()
    },
  }
}

/**
 * Starts a proxy to `upstream` that passes the `nth` request matching `matches` on to the store
 * but loses its answer: the store acts on it, and rivet's connection is closed before any answer
 * comes back. `lost` resolves once that happened.
 */
export async function loseAnswerProxy(
  upstream: string,
  matches: (method: string, url: string) => boolean,
  nth = 1,
): Promise<{ url: string; lost: Promise<string>; close(): void }> {
  const [host, port] = upstream.split(':')
  let seen = 0
  let lost!: (what: string) => void
  const done = new Promise<string>((resolve) => lost = resolve)
  const server = createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '')
    const drop = matches(req.method!, url) && ++seen === nth
    const forward = httpRequest(
      { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (drop) {
          answer.resume()
          answer.on('end', () => {
            // The socket itself: a response destroyed before its head may still send an empty 200.
            req.socket.destroy()
            lost(`${req.method} ${url} (${answer.statusCode})`)
          })
          return
        }
        res.writeHead(answer.statusCode!, answer.headers)
        answer.pipe(res)
      },
    )
    forward.on('error', () => res.destroy())
    req.pipe(forward)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    lost: done,
    close: () => {
      server.closeAllConnections()
      server.close()
    },
  }
}
