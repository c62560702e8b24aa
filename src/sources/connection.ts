/**
 * Resolving a server source's connection settings: URL or host/port/user/database, the password
 * from the environment, TLS. Shared by the server engines; each turns the result into its own
 * driver options.
 */
import { requiredEnv } from '../config/env.ts'
import { readFileSync } from 'node:fs'
import { configError } from '../errors.ts'
import { Secret } from '../log/secret.ts'
import type { TlsConfig } from '../config/schema.ts'

/** Connection settings as a server source block gives them. */
export interface ServerSettings {
  url?: string
  url_env?: string
  host?: string
  port?: number
  user?: string
  database?: string
  password_env?: string
  tls?: TlsConfig
}

/** Everything needed to connect, with the password wrapped. */
export interface ServerConnection {
  host: string
  port: number
  user?: string
  database?: string
  password?: Secret
  tls: TlsConfig['mode']
  /** CA certificates (PEM) for verify-ca and verify-full. */
  ca?: string
  /** `host:port/database` for messages. */
  target: string
}

/**
 * Resolves connection settings. `schemes` are the URL schemes this engine accepts; `defaultPort`
 * fills a missing port; `resolvePath` anchors `ca_file` at the config file's directory.
 */
export function resolveServerConnection(
  settings: ServerSettings,
  options: { schemes: string[]; defaultPort: number; resolvePath: (p: string) => string },
): ServerConnection {
  let host = settings.host ?? 'localhost'
  let port = settings.port ?? options.defaultPort
  let user = settings.user
  let database = settings.database
  let password: Secret | undefined
  let tls: TlsConfig['mode'] | undefined = settings.tls?.mode
  const urlText = settings.url ??
    (settings.url_env ? requiredEnv(settings.url_env, 'source.url_env') : undefined)
  if (urlText) {
    let url: URL
    try {
      url = new URL(urlText)
    } catch {
      throw configError(`source ${settings.url ? 'url' : `url_env (${settings.url_env})`} is not a valid URL`)
    }
    const scheme = url.protocol.replace(/:$/, '')
    if (!options.schemes.includes(scheme)) {
      throw configError(
        `source URL scheme "${scheme}:" is not one of ${options.schemes.map((s) => s + ':').join(', ')}`,
      )
    }
    if (url.password) password = new Secret(decodeURIComponent(url.password))
    host = url.hostname.replace(/^\[|\]$/g, '') || host
    port = url.port ? Number(url.port) : port
    user = url.username ? decodeURIComponent(url.username) : user
    const path = decodeURIComponent(url.pathname.replace(/^\//, ''))
    database = path || database
    const sslmode = url.searchParams.get('sslmode')
    if (sslmode && !tls) {
      const modes: Record<string, TlsConfig['mode']> = {
        disable: 'disable',
        allow: 'disable',
        prefer: 'disable',
        require: 'require',
        'verify-ca': 'verify-ca',
        'verify-full': 'verify-full',
      }
      tls = modes[sslmode]
      if (!tls) {
        throw configError(`source URL sslmode=${sslmode} is not one of ${Object.keys(modes).join(', ')}`)
      }
    }
  }
  if (settings.password_env) password = new Secret(requiredEnv(settings.password_env, 'source.password_env'))
  let ca: string | undefined
  if (settings.tls?.ca_file) {
    const path = options.resolvePath(settings.tls.ca_file)
    try {
      ca = readFileSync(path, 'utf8')
    } catch {
      throw configError(`source.tls.ca_file ${path} cannot be read`)
    }
  }
  return {
    host,
    port,
    user,
    database,
    password,
    tls: tls ?? 'disable',
    ca,
    target: `${host}:${port}${database ? '/' + database : ''}`,
  }
}
