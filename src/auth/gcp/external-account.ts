/**
 * Workload identity federation (`external_account` files): a token from another identity
 * provider (a Kubernetes service account token, a CI job's OIDC token), read from a file or a
 * URL, exchanged at Google STS for a federated token. The file or URL is read again for every
 * refresh because the platform rotates the token.
 * https://cloud.google.com/iam/docs/workload-identity-federation
 */
import { readFile } from 'node:fs/promises'
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import { fetchWithin, NoAnswerError } from '../../http/request.ts'
import { oauthToken, postForm } from './endpoint.ts'
import type { ExternalAccount, SubjectTokenSource } from './key-file.ts'
import type { FileOrigin, GoogleSource } from './source.ts'

/** A local token server answers at once; a cloud one within seconds. */
const SUBJECT_TIMEOUT_MS = 10_000

/** Where the subject token comes from, for messages. */
function subjectWhere(from: SubjectTokenSource): string {
  return from.file ? `subject token file ${from.file}` : `subject token URL ${new URL(from.url!).origin}`
}

/** The raw subject token text (the token itself, or the JSON document holding it). */
async function subjectText(from: SubjectTokenSource, where: string): Promise<string> {
  if (from.file) {
    try {
      return await readFile(from.file, 'utf8')
    } catch (error) {
      throw authError(`${where} cannot be read: ${(error as Error).message}`, 'AUTH_MISSING', error)
    }
  }
  try {
    const answer = await fetchWithin(from.url!, { headers: from.headers ?? {} }, SUBJECT_TIMEOUT_MS)
    if (!answer.ok) throw authError(`${where} answered HTTP ${answer.status}`)
    return answer.text
  } catch (error) {
    if (!(error instanceof NoAnswerError)) throw error
    throw authError(`${where}: ${error.reason}`, 'AUTH_UNAVAILABLE', error)
  }
}

/** Reads the current subject token. */
export async function subjectToken(from: SubjectTokenSource): Promise<Secret> {
  const where = subjectWhere(from)
  const text = await subjectText(from, where)
  if (from.format.type === 'text') return new Secret(text.trim())
  let value: unknown
  try {
    value = (JSON.parse(text) as Record<string, unknown>)[from.format.field]
  } catch {
    throw authError(`${where} is not JSON (${text.length} bytes that do not parse)`)
  }
  if (typeof value !== 'string' || !value) throw authError(`${where} has no ${from.format.field}`)
  return new Secret(value)
}

/** The source that exchanges the account's subject token at STS for a federated token. */
export function federatedSource(account: ExternalAccount, origin: FileOrigin, scope: string): GoogleSource {
  const source = `${origin.label} (external account ${account.audience.split('/').slice(-3).join('/')})`
  const renew =
    `check the ${subjectWhere(account.credentialSource)} and that the workload identity provider ` +
    `${account.audience} trusts its issuer and audience`
  return {
    source,
    renew,
    fetch: async () => {
      const token = await subjectToken(account.credentialSource)
      const json = await postForm(account.tokenUrl, {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        audience: account.audience,
        scope,
        requested_token_type: 'urn:ietf:params:oauth:token-type:access_token',
        subject_token: token.reveal(),
        subject_token_type: account.subjectTokenType,
      }, { what: source, renew })
      return oauthToken(json, source)
    },
  }
}
