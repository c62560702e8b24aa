/**
 * Credentials read once from the environment. They cannot refresh themselves: when one
 * expires, the fix is to refresh the variable (or use a source rivet can refresh).
 */
import type { CredentialProvider } from './credentials.ts'

/** A provider that always hands out `credential`; `source` names where it came from. */
export function staticCredentials<T>(source: string, credential: T): CredentialProvider<T> {
  return {
    source,
    refreshable: false,
    get: () => Promise.resolve(credential),
    invalidate: () => {},
  }
}
