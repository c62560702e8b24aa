/**
 * Redaction of secrets from any text that leaves the process: log lines, error messages,
 * `--json` documents. Secret values are registered when they enter the process (see
 * {@link Secret}), and URL passwords are masked by shape, so a secret that slips into a driver's
 * error message is still caught.
 */

/** What every redacted secret prints as. */
export const REDACTED = '***REDACTED***'

const known = new Set<string>()

/** Remember a secret value so {@link redact} masks it wherever it appears. */
export function registerSecret(value: string): void {
  // Very short values would mask ordinary words; they are still wrapped, just not text-scanned.
  if (value.length >= 4) known.add(value)
}

const urlPassword = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*):([^@/?#\s]+)@/gi
const queryPassword = /([?&](?:password|sig|secret|token)=)[^&\s]+/gi

/** Masks URL passwords, password-like query parameters, and every registered secret. */
export function redact(text: string): string {
  let out = text.replace(urlPassword, `$1:${REDACTED}@`).replace(queryPassword, `$1${REDACTED}`)
  for (const secret of known) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED)
  }
  return out
}
