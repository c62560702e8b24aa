/** PostgreSQL and connection errors -> rivet errors with the spec's exit codes. */
import { authError, RivetError, sourceError } from '../../errors.ts'
import { redact } from '../../log/redact.ts'
import { networkErrorReason } from '../network.ts'

/** postgres.js's codes for a connection that closed under a query. */
const LOST_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DESTROYED', 'CONNECTION_ENDED', 'EPIPE'])

/**
 * Whether `code` says the connection went away: closed under the driver, a connection exception
 * (SQLSTATE class 08) or the server shutting down (57P01-57P03).
 */
function connectionLost(code: string): boolean {
  return LOST_CODES.has(code) || code.startsWith('08') || /^57P0[123]$/.test(code)
}

/** Classifies an error from postgres.js. `target` is `host:port/database`, without secrets. */
export function pgError(error: unknown, target: string): RivetError {
  if (error instanceof RivetError) return error
  const e = error as { code?: string; message?: string; severity?: string; position?: string }
  const message = redact(e.message ?? String(error))
  const code = e.code ?? ''
  const network = networkErrorReason(code)
  if (network) {
    return sourceError(
      `cannot connect to PostgreSQL at ${target}: ${network}; check host, port and that the server is running`,
      'SOURCE_UNREACHABLE',
      error,
    )
  }
  // 28P01 invalid_password, 28000 invalid_authorization_specification (unknown role, pg_hba).
  if (code === '28P01' || code === '28000') {
    return authError(
      `PostgreSQL at ${target} rejected the login: ${message}; check the user and the password variable`,
      'AUTH_FAILED',
      error,
    )
  }
  if (code === '42501') {
    return authError(
      `PostgreSQL at ${target}: ${message}; grant the user SELECT on it`,
      'PERMISSION_DENIED',
      error,
    )
  }
  if (connectionLost(code)) {
    return sourceError(
      `PostgreSQL at ${target}: the connection was lost: ${message}`,
      'SOURCE_CONNECTION_LOST',
      error,
    )
  }
  if (e.severity) {
    return sourceError(`PostgreSQL at ${target}: ${message} (SQLSTATE ${code})`, 'SOURCE_QUERY', error)
  }
  if (/ssl|tls|certificate/i.test(message)) {
    return sourceError(`TLS to PostgreSQL at ${target} failed: ${message}`, 'SOURCE_TLS', error)
  }
  return sourceError(`PostgreSQL at ${target}: ${message}`, 'SOURCE_FAILED', error)
}
