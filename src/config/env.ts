/** Environment variables a config names with its `*_env` keys. */
import { configError } from '../errors.ts'
import { env } from '../runtime/process.ts'

/**
 * The value of the environment variable the config names at `where` (`source.password_env`,
 * `destination s3://b`); unset or empty is a config error (exit 2).
 */
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
