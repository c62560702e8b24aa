/**
 * Toxiproxy (scripts/services.sh starts it on 127.0.0.1:8474): a TCP proxy in front of a service
 * whose faults a test turns on and off through its HTTP API: latency, bandwidth, connections cut
 * after some bytes, a peer that stops answering, the service down.
 */

const API = 'http://127.0.0.1:8474'

async function call(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${API}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  if (!response.ok) throw new Error(`toxiproxy ${method} ${path}: ${response.status} ${text}`)
  return text ? JSON.parse(text) : {}
}

/** Which way a toxic acts: on what the service sends back, or on what rivet sends it. */
export type Stream = 'downstream' | 'upstream'

/** A proxy in front of one service. */
export class Proxy {
  private constructor(readonly name: string, readonly port: number) {}

  /** A fresh proxy to `upstream` (host:port) on a free port; one of the same name is replaced. */
  static async create(name: string, upstream: string): Promise<Proxy> {
    await call('DELETE', `/proxies/${name}`).catch(() => {})
    const created = await call('POST', '/proxies', { name, listen: '127.0.0.1:0', upstream, enabled: true })
    return new Proxy(name, Number(String(created.listen).split(':').at(-1)))
  }

  /** `host:port` to connect to instead of the service. */
  get address(): string {
    return `127.0.0.1:${this.port}`
  }

  /** Adds a toxic (see Toxiproxy's README for types and attributes); returns its name. */
  async toxic(
    type: string,
    attributes: Record<string, number>,
    stream: Stream = 'downstream',
  ): Promise<string> {
    const name = `${type}_${stream}`
    await call('POST', `/proxies/${this.name}/toxics`, { name, type, stream, toxicity: 1, attributes })
    return name
  }

  async removeToxic(name: string): Promise<void> {
    await call('DELETE', `/proxies/${this.name}/toxics/${name}`)
  }

  /** Takes the service down (closing every connection, refusing new ones) or brings it back. */
  async setEnabled(enabled: boolean): Promise<void> {
    await call('POST', `/proxies/${this.name}`, { enabled })
  }

  /** Removes every toxic and brings the service back. */
  async reset(): Promise<void> {
    const { toxics } = await call('GET', `/proxies/${this.name}`) as { toxics: { name: string }[] }
    for (const toxic of toxics) await this.removeToxic(toxic.name)
    await this.setEnabled(true)
  }

  async delete(): Promise<void> {
    await call('DELETE', `/proxies/${this.name}`)
  }
}
