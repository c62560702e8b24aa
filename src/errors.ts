/**
 * Every failure rivet reports to a user is a {@link RivetError}: a stable code for `--json`,
 * the process exit code from the spec's table, and a one-line message that says what failed,
 * where, and what to do next.
 */

/** Exit codes, as the spec's table defines them. */
export const Exit = {
  ok: 0,
  internal: 1,
  config: 2,
  source: 3,
  auth: 4,
  destination: 5,
  dataCheck: 6,
  interrupted: 130,
} as const

/** The exit code a {@link RivetError} carries. */
export type ExitCode = (typeof Exit)[keyof typeof Exit]

/** A user-facing failure with its `--json` code and exit code. */
export class RivetError extends Error {
  override readonly name = 'RivetError'
  /** What the command did before it failed, merged into its `--json` document. */
  document?: Record<string, unknown>
  /** A report for people, printed before the error line (e.g. `check`'s column table). */
  report?: string
  /** The run it ended, when one had started (for notifications). */
  runId?: string
  constructor(
    /** Stable machine-readable code, e.g. `CONFIG_INVALID`, `AUTH_FAILED`. */
    readonly code: string,
    /** Process exit code. */
    readonly exit: ExitCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** Usage or configuration error (exit 2). */
export function configError(message: string, code = 'CONFIG_INVALID'): RivetError {
  return new RivetError(code, Exit.config, message)
}

/** Source database error (exit 3). */
export function sourceError(message: string, code = 'SOURCE_FAILED', cause?: unknown): RivetError {
  return new RivetError(code, Exit.source, message, { cause })
}

/** Authentication or authorization error (exit 4). */
export function authError(message: string, code = 'AUTH_FAILED', cause?: unknown): RivetError {
  return new RivetError(code, Exit.auth, message, { cause })
}

/** Destination error that is not about credentials (exit 5). */
export function destinationError(message: string, code = 'DESTINATION_FAILED', cause?: unknown): RivetError {
  return new RivetError(code, Exit.destination, message, { cause })
}

/** A data check failed: a quality rule, `validate`, reconcile (exit 6). */
export function dataCheckError(message: string, code = 'DATA_CHECK_FAILED'): RivetError {
  return new RivetError(code, Exit.dataCheck, message)
}

/** The run was interrupted by SIGINT or SIGTERM (exit 130). */
export function interruptedError(signal: string): RivetError {
  return new RivetError(
    'INTERRUPTED',
    Exit.interrupted,
    `interrupted by ${signal}: in-flight parts were removed and no manifest or state was written`,
  )
}

/** Wraps anything thrown into a {@link RivetError}; unknown errors become exit 1. */
export function asRivetError(error: unknown): RivetError {
  if (error instanceof RivetError) return error
  const message = error instanceof Error ? error.message : String(error)
  return new RivetError('INTERNAL', Exit.internal, `internal error: ${message}`, { cause: error })
}
