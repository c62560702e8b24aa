/**
 * Credentials read once from the environment. They cannot refresh themselves: when one
 * expires, the fix is to refresh the variable (or use a source rivet can refresh).
 */
import { configError } from '../errors.ts'
import { env } from '../runtime/process.ts'
import type { CredentialProvider } from './credentials.ts'

/** The value of an environment variable the config names; unset is a config error (exit 2). */
export function requiredEnv(name: string, where: string): string {
  const value = env(name)
  if (!value) {
    throw configError(
      `${where} names the environment variable ${name}, which is not set`,
      'CONFIG_MISSING_ENV',
    )
  }
  return value
}

/** A provider that always hands out `credential`; `source` names where it came from. */
export function staticCredentials<T>(source: string, credential: T): CredentialProvider<T> {
  return {
    source,
    refreshable: false,
    get: () => Promise.resolve(credential),
    invalidate: () => {},
  }
}
