/**
 * Container credentials: the ECS task role endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on
 * 169.254.170.2) or a full URI (AWS_CONTAINER_CREDENTIALS_FULL_URI: EKS Pod Identity, ECS
 * Anywhere, Greengrass), with the authorization token from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE
 * (read on every refresh: EKS rotates it) or AWS_CONTAINER_AUTHORIZATION_TOKEN.
 */
import { readFile } from 'node:fs/promises'
import { withRetry } from '../../http/retry.ts'
import { authError, configError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import { env } from '../../runtime/process.ts'
import { fetchWithin, NoAnswerError } from '../../http/request.ts'
import { credentialsFromJson, parseJsonObject } from './json.ts'
import type { AwsSource } from './source.ts'

/** The ECS agent's address for relative URIs. */
const ECS_HOST = 'http://169.254.170.2'

/** The agent answers locally; a slow answer is retried rather than waited for. */
const CONTAINER_TIMEOUT_MS = 2000

/**
 * Plain-HTTP hosts that may receive the token: loopback, the ECS agent, the EKS Pod Identity
 * agent (IPv4 and IPv6). Anything else must be https, so the token never crosses a network in
 * clear text.
 */
const PLAIN_HTTP_HOSTS =
  /^(127\.\d+\.\d+\.\d+|localhost|\[::1\]|169\.254\.170\.2|169\.254\.170\.23|\[fd00:ec2::23\])$/

/** The endpoint the environment names, or why there is none. */
export function containerEndpoint(): string | { skipped: string } {
  const relative = env('AWS_CONTAINER_CREDENTIALS_RELATIVE_URI')
  if (relative) return `${ECS_HOST}${relative.startsWith('/') ? '' : '/'}${relative}`
  const full = env('AWS_CONTAINER_CREDENTIALS_FULL_URI')
  if (!full) {
    return {
      skipped: 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and AWS_CONTAINER_CREDENTIALS_FULL_URI not set',
    }
  }
  let url: URL
  try {
    url = new URL(full)
  } catch {
    throw configError('AWS_CONTAINER_CREDENTIALS_FULL_URI is not a URL', 'CONFIG_INVALID')
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && PLAIN_HTTP_HOSTS.test(url.hostname))) {
    throw configError(
      `AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http on loopback or the ECS/EKS agent address; ` +
        `got ${url.origin}`,
      'CONFIG_INVALID',
    )
  }
  return full
}

/** The Authorization header value, when the environment gives one. */
async function authorization(): Promise<Secret | undefined> {
  const file = env('AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE')
  let token = env('AWS_CONTAINER_AUTHORIZATION_TOKEN')
  if (file) {
    try {
      token = await readFile(file, 'utf8')
    } catch (error) {
      throw authError(
        `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE ${file} cannot be read: ${(error as Error).message}`,
        'AUTH_MISSING',
        error,
      )
    }
  }
  token = token?.trim()
  if (token && /[\r\n]/.test(token)) {
    throw authError('the container authorization token contains a line break')
  }
  return token ? new Secret(token) : undefined
}

/** The source that fetches the task's or pod's role credentials from `url`. */
export function containerSource(url: string): AwsSource {
  const source = 'container credentials'
  const what = `${source} at ${new URL(url).origin}`
  return {
    source,
    fetch: async () => {
      const token = await authorization()
      const headers: Record<string, string> = { accept: 'application/json' }
      if (token) headers.authorization = token.reveal()
      let answer
      try {
        answer = await withRetry(
          () => fetchWithin(url, { headers }, CONTAINER_TIMEOUT_MS),
          (error) => error instanceof NoAnswerError,
          { attempts: 3, baseMs: 100, maxMs: 1000 },
        )
      } catch (error) {
        throw authError(`${what}: ${(error as Error).message}`, 'AUTH_UNAVAILABLE', error)
      }
      if (answer.status === 401 || answer.status === 403) {
        throw authError(
          `${what} refused the authorization token (HTTP ${answer.status}); ` +
            'check AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or AWS_CONTAINER_AUTHORIZATION_TOKEN',
          'AUTH_FAILED',
        )
      }
      if (!answer.ok) throw authError(`${what} answered HTTP ${answer.status}`, 'AUTH_UNAVAILABLE')
      return credentialsFromJson(parseJsonObject(answer.text, what), what)
    },
  }
}
