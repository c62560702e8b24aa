/**
 * The JSON credential shape that credential_process, ECS/EKS container endpoints and instance
 * metadata share: AccessKeyId, SecretAccessKey, Token or SessionToken, and an ISO Expiration.
 * Parse failures never quote the text: it holds the secret.
 */
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import type { AwsCredentials } from '../credentials.ts'

/** A date from a credential answer, or undefined when absent. Invalid dates are an error. */
export function expiration(value: unknown, what: string): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined
  const date = new Date(value as string | number)
  if (Number.isNaN(date.getTime())) throw authError(`${what} returned an Expiration that is not a date`)
  return date
}

/** The JSON text of a credential answer as an object; `what` names the answering source. */
export function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw authError(`${what} did not return JSON credentials (${text.length} bytes that do not parse)`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw authError(`${what} did not return a JSON object`)
  }
  return json as Record<string, unknown>
}

/** Credentials from the shared JSON shape; missing keys are an auth error naming `what`. */
export function credentialsFromJson(json: Record<string, unknown>, what: string): AwsCredentials {
  const { AccessKeyId, SecretAccessKey } = json
  const token = json.SessionToken ?? json.Token
  if (
    typeof AccessKeyId !== 'string' || !AccessKeyId || typeof SecretAccessKey !== 'string' || !SecretAccessKey
  ) {
    throw authError(`${what} returned no AccessKeyId and SecretAccessKey`)
  }
  return {
    accessKeyId: AccessKeyId,
    secretAccessKey: new Secret(SecretAccessKey),
    sessionToken: typeof token === 'string' && token ? new Secret(token) : undefined,
    expiresAt: expiration(json.Expiration, what),
  }
}
