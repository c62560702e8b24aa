/**
 * One credential provider per credential source, per process. Every export, the state store,
 * `validate`, `doctor` and chunk workers that resolve the same source get the same provider, so a
 * `credential_process` runs once while its credentials are valid, an STS or token endpoint is
 * asked once per refresh, and only one refresh cycle ever runs (the model is Arroyo's storage
 * credential provider). Sources are told apart by what was resolved (profile name, the files
 * and endpoints the environment points at, role ARN and session name, key file path), never by
 * a secret value.
 */
import { env } from '../runtime/process.ts'

const providers = new Map<string, unknown>()

/**
 * The identity of a resolved credential source: `parts` describe it (no secrets), and the
 * values of the environment variables in `locators` say which files and endpoints it reads
 * (they name places, never secrets).
 */
export function sourceKey(parts: readonly unknown[], locators: readonly string[]): string {
  return JSON.stringify([parts, locators.map((name) => env(name) ?? null)])
}

/** The process's provider for `key`, made by `make` the first time it is asked for. */
export function sharedProvider<P>(key: string, make: () => P): P {
  if (!providers.has(key)) providers.set(key, make())
  return providers.get(key) as P
}
