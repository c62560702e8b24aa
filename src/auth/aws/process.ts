/**
 * `credential_process`: a command that prints credentials as JSON (Version 1, AccessKeyId,
 * SecretAccessKey, SessionToken, Expiration), run through the shell like the AWS CLI does. Its
 * Expiration drives refresh; without one the credentials are kept for the whole run.
 */
import { exec } from 'node:child_process'
import { authError } from '../../errors.ts'
import { credentialsFromJson, parseJsonObject } from './json.ts'
import type { AwsSource } from './source.ts'

/** Brokers may open a browser or wait for MFA, but a run must not wait forever. */
const PROCESS_TIMEOUT_MS = 120_000

/** The last line of a failed command's stderr, short enough for a one-line message. */
function lastLine(text: string): string {
  const line = text.trim().split('\n').pop()?.trim() ?? ''
  return line.length > 200 ? `${line.slice(0, 200)}...` : line
}

/** Runs `command` and resolves to its stdout. */
function run(command: string, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    exec(
      command,
      { timeout: PROCESS_TIMEOUT_MS, maxBuffer: 1024 * 1024, windowsHide: true },
      (error, stdout, stderr) => {
        if (!error) return resolve(String(stdout))
        const killed = error.killed || error.signal
        const reason = killed
          ? `did not finish within ${PROCESS_TIMEOUT_MS / 1000} s`
          : `exited with ${error.code}`
        const detail = lastLine(String(stderr))
        reject(authError(`${what} ${reason}${detail ? `: ${detail}` : ''}`, 'AUTH_FAILED', error))
      },
    )
  })
}

/** The source that runs profile `profile`'s `credential_process` command. */
export function processSource(profile: string, command: string): AwsSource {
  const source = `profile ${profile} (credential_process)`
  return {
    source,
    fetch: async () => {
      const json = parseJsonObject(await run(command, source), source)
      if (json.Version !== 1) {
        throw authError(`${source} printed Version ${String(json.Version)}; only 1 is known`)
      }
      const credentials = credentialsFromJson(json, source)
      if (credentials.expiresAt && credentials.expiresAt.getTime() <= Date.now()) {
        throw authError(
          `${source} printed credentials that expired at ${credentials.expiresAt.toISOString()}; ` +
            'renew the session behind the command',
          'AUTH_EXPIRED',
        )
      }
      return credentials
    },
  }
}
