/** tedious and SQL Server errors -> rivet errors with the spec's exit codes. */
import { authError, RivetError, sourceError } from '../../errors.ts'
import { redact } from '../../log/redact.ts'
import { networkErrorReason } from '../network.ts'

// 229/230: permission denied on an object or column; 262: permission denied in the database;
// 916: the login cannot access the database.
const PERMISSION_NUMBERS = new Set([229, 230, 262, 916])

interface TediousError {
  code?: string
  number?: number
  message?: string
  cause?: unknown
  errors?: unknown[]
}

/**
 * tedious reports several server errors of one request as an AggregateError; the first is the
 * cause (e.g. 208 "Invalid object name" before sp_describe_first_result_set's generic 11529).
 */
function firstError(error: unknown): TediousError {
  const e = error as TediousError
  return Array.isArray(e?.errors) && e.errors.length ? firstError(e.errors[0]) : e
}

/** The socket error code under tedious's wrapper (ECONNREFUSED, ENOTFOUND, ...). */
function socketCode(error: TediousError | undefined, depth = 0): string | undefined {
  if (!error || depth > 4) return undefined
  if (networkErrorReason(error.code)) return error.code
  return socketCode(firstError(error.cause), depth + 1)
}

function tlsError(message: string, target: string, error: unknown): RivetError {
  return sourceError(
    `TLS to SQL Server at ${target} failed: ${message}; check source.tls (mode, ca_file)`,
    'SOURCE_TLS',
    error,
  )
}

/** Classifies an error from tedious. `target` is `host:port/database`, without secrets. */
export function sqlServerError(error: unknown, target: string): RivetError {
  if (error instanceof RivetError) return error
  const e = firstError(error)
  // Server messages are sentences; the period goes so that what to do can follow.
  const message = redact(e?.message ?? String(error)).replace(/\.\s*$/, '')
  const network = networkErrorReason(socketCode(e))
  if (e?.code === 'ELOGIN') {
    return authError(
      `SQL Server at ${target} rejected the login: ${message}; check the user and the password variable`,
      'AUTH_FAILED',
      error,
    )
  }
  // A refused certificate comes as a socket error "Failed to connect ... - self signed certificate".
  const tls = typeof e?.number !== 'number' && /certificate|self[- ]signed|ssl|tls/i.test(message)
  if (e?.code === 'EENCRYPT' || (!network && tls)) return tlsError(message, target, error)
  if (network || e?.code === 'ETIMEOUT' || (e?.code === 'ESOCKET' && /^Failed to connect/.test(message))) {
    return sourceError(
      `cannot connect to SQL Server at ${target}: ${
        network ?? (e?.code === 'ETIMEOUT' ? 'connection timed out' : message)
      }; check host, port and that the server is running`,
      'SOURCE_UNREACHABLE',
      error,
    )
  }
  // A socket that closed under a request (tedious: ESOCKET after the connection was made, ECLOSE).
  if (e?.code === 'ESOCKET' || e?.code === 'ECLOSE') {
    return sourceError(
      `SQL Server at ${target}: the connection was lost: ${message}`,
      'SOURCE_CONNECTION_LOST',
      error,
    )
  }
  if (typeof e?.number === 'number' && PERMISSION_NUMBERS.has(e.number)) {
    return authError(
      `SQL Server at ${target}: ${message}; grant the user SELECT on it`,
      'PERMISSION_DENIED',
      error,
    )
  }
  if (typeof e?.number === 'number') {
    return sourceError(`SQL Server at ${target}: ${message} (error ${e.number})`, 'SOURCE_QUERY', error)
  }
  return sourceError(`SQL Server at ${target}: ${message}`, 'SOURCE_FAILED', error)
}

/** An error the server sent during the login (tedious reports only the last one of them). */
export interface LoginMessage {
  number: number
  message: string
}

/**
 * Classifies a failed login by the first error the server sent during it, which says why; the
 * last one, which tedious reports, is often only "Login failed". 911: the database does not
 * exist (Babelfish); 4060: SQL Server cannot open it, which it says alike whether it is missing
 * or the login may not enter it.
 */
export function sqlServerLoginError(
  error: unknown,
  first: LoginMessage | undefined,
  target: string,
): RivetError {
  if (first?.number === 911) {
    const message = redact(first.message).replace(/\.\s*$/, '')
    return sourceError(
      `SQL Server at ${target}: ${message} (error 911); check source.database`,
      'SOURCE_NO_DATABASE',
      error,
    )
  }
  if (first?.number === 4060) {
    const message = redact(first.message).replace(/\.\s*$/, '')
    return authError(
      `SQL Server at ${target} rejected the login: ${message}; check source.database and that the login may open it`,
      'AUTH_FAILED',
      error,
    )
  }
  return sqlServerError(error, target)
}
