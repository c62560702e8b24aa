/** MySQL/MariaDB driver errors -> rivet errors with the spec's exit codes. */
import { authError, RivetError, sourceError } from '../../errors.ts'
import { redact } from '../../log/redact.ts'
import { networkErrorReason } from '../network.ts'

// ER_ACCESS_DENIED_ERROR, ER_DBACCESS_DENIED_ERROR, ER_TABLEACCESS_DENIED_ERROR,
// ER_COLUMNACCESS_DENIED_ERROR, ER_ACCESS_DENIED_NO_PASSWORD_ERROR
const AUTH_ERRNOS = new Set([1045, 1044, 1142, 1143, 1698])

/**
 * A connection that went away under a query: mysql2's codes for a closed socket, and the server's
 * ER_SERVER_SHUTDOWN (1053) and ER_CONNECTION_KILLED (1927).
 */
const LOST_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'EPIPE',
  'ER_SERVER_SHUTDOWN',
  'ER_CONNECTION_KILLED',
])

/** Classifies a mysql2 error. `target` is `host:port/database`, without secrets. */
export function mysqlError(error: unknown, target: string): RivetError {
  if (error instanceof RivetError) return error
  const e = error as { code?: string; errno?: number; sqlState?: string; message?: string; fatal?: boolean }
  const message = redact(e.message ?? String(error))
  const network = networkErrorReason(e.code)
  if (network) {
    return sourceError(
      `cannot connect to MySQL at ${target}: ${network}; check host, port and that the server is running`,
      'SOURCE_UNREACHABLE',
      error,
    )
  }
  if (e.errno !== undefined && AUTH_ERRNOS.has(e.errno)) {
    return authError(
      `MySQL at ${target} rejected the login or access: ${message}; check the user, its grants and the password variable`,
      'AUTH_FAILED',
      error,
    )
  }
  if (e.code === 'HANDSHAKE_NO_SSL_SUPPORT') {
    return sourceError(
      `TLS to MySQL at ${target} failed: the server does not support TLS (SSL is disabled there); ` +
        'enable it on the server, or set source.tls.mode: disable to connect unencrypted',
      'SOURCE_TLS',
      error,
    )
  }
  if (e.code && LOST_CODES.has(e.code)) {
    return sourceError(
      `MySQL at ${target}: the connection was lost: ${message}`,
      'SOURCE_CONNECTION_LOST',
      error,
    )
  }
  if (e.sqlState) return sourceError(`MySQL at ${target}: ${message} (${e.code})`, 'SOURCE_QUERY', error)
  if (/ssl|tls|certificate/i.test(message)) {
    return sourceError(`TLS to MySQL at ${target} failed: ${message}`, 'SOURCE_TLS', error)
  }
  return sourceError(`MySQL at ${target}: ${message}`, 'SOURCE_FAILED', error)
}
