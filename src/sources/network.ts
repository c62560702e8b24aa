/** Socket error codes every server driver reports, as words a user acts on. */

const reasons: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  CONNECT_TIMEOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ECONNRESET: 'connection reset',
}

/** The reason for a network error code, or undefined when the code is not a network failure. */
export function networkErrorReason(code: string | undefined): string | undefined {
  return code ? reasons[code] : undefined
}
