/**
 * The credential seam shared by every cloud: a provider hands out the current credential and
 * can be told that the store rejected it. Providers never print their secrets: secret parts are
 * {@link Secret}s.
 */
import type { Secret } from '../log/secret.ts'

/** AWS access keys, with a session token when they are temporary. */
export interface AwsCredentials {
  accessKeyId: string
  secretAccessKey: Secret
  sessionToken?: Secret
  /** When temporary credentials stop working. */
  expiresAt?: Date
}

/** An OAuth 2 bearer token (Google Cloud, Azure AD). */
export interface BearerToken {
  token: Secret
  /** When the token stops working, when known. */
  expiresAt?: Date
}

/**
 * Azure Storage credentials: the account key (SharedKey signing), a SAS token, or a Microsoft
 * Entra ID (Azure AD) bearer token for the storage audience.
 */
export type AzureStorageCredentials =
  | { kind: 'shared-key'; key: Secret }
  /** The SAS query string without a leading `?`. */
  | { kind: 'sas'; token: Secret; expiresAt?: Date }
  | { kind: 'bearer' } & BearerToken

/** Where credentials come from and how to get the current ones. */
export interface CredentialProvider<T> {
  /** Where they come from, for messages and `doctor`: `env static (RIVET_AWS_ACCESS_KEY)`. */
  readonly source: string
  /** False when asking again can't give a different credential (static keys in the environment). */
  readonly refreshable: boolean
  /**
   * The identity of its source when the provider is shared by the whole process (shared.ts):
   * what a provider built on top of it (an assumed role) is told apart by.
   */
  readonly key?: string
  /** The current credential. */
  get(): Promise<T>
  /** The store rejected the current credential; the next `get` fetches a new one if it can. */
  invalidate(): void
}

/** Masks an access key id for display: `AKIA****ABCD`. */
export function maskKeyId(id: string): string {
  return id.length <= 8 ? '****' : `${id.slice(0, 4)}****${id.slice(-4)}`
}

/** Time until `expiresAt` for people: `42 s`, `59 min`; negative once past. */
export function timeLeft(expiresAt: Date, now = Date.now()): string {
  const seconds = Math.round((expiresAt.getTime() - now) / 1000)
  return Math.abs(seconds) < 120 ? `${seconds} s` : `${Math.round(seconds / 60)} min`
}
