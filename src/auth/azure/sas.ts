/**
 * SAS tokens: the query string a portal, `az storage ... generate-sas` or a connection string
 * hands out, with or without its leading `?`. Its signed expiry (`se=`) is read so that an
 * expired token stops the run before anything is exported, and a token about to expire is
 * named in a warning: rivet cannot renew a SAS.
 */
import { authError } from '../../errors.ts'
import type { Logger } from '../../log/logger.ts'
import { Secret } from '../../log/secret.ts'
import { type AzureStorageCredentials, timeLeft } from '../credentials.ts'
import type { AzureProvider } from './source.ts'

/** Less validity than this at the start is worth a warning: a long export may outlive it. */
const WARN_BELOW_MS = 60 * 60_000

/** The signed expiry (`se=`) of a SAS token, when it has a readable one. */
function sasExpiry(token: string): Date | undefined {
  const se = new URLSearchParams(token).get('se')
  const date = se ? new Date(se) : undefined
  return date && !Number.isNaN(date.getTime()) ? date : undefined
}

/** Where a SAS came from and what to do about it, for messages. */
export interface SasOrigin {
  /** `SAS token (RIVET_AZURE_SAS)` */
  source: string
  /** The variable to put a new one in. */
  variable: string
  account: string
  where: string
}

/**
 * A provider handing out `raw` (a leading `?` dropped). It refuses to hand out an expired token
 * (exit 4, before any request), so an export never starts with one, or goes on with one.
 */
export function sasProvider(raw: string, origin: SasOrigin, logger?: Logger): AzureProvider {
  const text = raw.trim().replace(/^\?/, '')
  const expiresAt = sasExpiry(text)
  const credential: AzureStorageCredentials = { kind: 'sas', token: new Secret(text), expiresAt }
  const reissue = `issue a new SAS token and put it in ${origin.variable}`
  const renew = `check that the SAS token is current, signed for account ${origin.account} and allows ` +
    `create and write; else ${reissue}`
  if (expiresAt && expiresAt.getTime() - Date.now() < WARN_BELOW_MS && expiresAt.getTime() > Date.now()) {
    logger?.warn(
      `${origin.where}: ${origin.source} expires at ${expiresAt.toISOString()} (in ${
        timeLeft(expiresAt)
      }); rivet cannot renew a SAS token, so an export still running then fails: ${reissue}`,
    )
  }
  return {
    source: origin.source,
    identity: origin.account,
    renew,
    refreshable: false,
    invalidate: () => {},
    get: () => {
      if (expiresAt && expiresAt.getTime() <= Date.now()) {
        return Promise.reject(authError(
          `${origin.where}: ${origin.source} expired at ${expiresAt.toISOString()}; ${reissue}`,
          'AUTH_EXPIRED',
        ))
      }
      return Promise.resolve(credential)
    },
  }
}
