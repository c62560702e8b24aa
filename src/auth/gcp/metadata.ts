/**
 * The metadata server of Compute Engine, GKE, Cloud Run and Cloud Functions: the attached
 * service account's token and email. `GCE_METADATA_HOST` moves it (emulators, tests); every
 * request has a one-second deadline, so off Google Cloud the chain gives up in about a second,
 * and an answer without `Metadata-Flavor: Google` is not taken for one.
 * https://cloud.google.com/compute/docs/access/authenticate-workloads#applications
 */
import { authError } from '../../errors.ts'
import { env } from '../../runtime/process.ts'
import { fetchWithin, type HttpAnswer, NoAnswerError } from '../../http/request.ts'
import { parseJsonObject } from '../aws/json.ts'
import { oauthToken } from './endpoint.ts'
import type { GoogleSource } from './source.ts'

/** Per request, as Google's client libraries do: the server answers in milliseconds when it exists. */
export const METADATA_TIMEOUT_MS = 1000

/** The server's address: `GCE_METADATA_HOST` (host and port), else the link-local address. */
export function metadataEndpoint(): string {
  return `http://${env('GCE_METADATA_HOST') || '169.254.169.254'}`
}

const ACCOUNT = '/computeMetadata/v1/instance/service-accounts/default'

/** The source that asks the metadata server for the attached service account's token. */
export function metadataSource(): GoogleSource {
  const endpoint = metadataEndpoint()
  const source = `metadata server (${endpoint})`
  const renew = 'check that a service account is attached to the instance or workload and that its ' +
    'scopes include Cloud Storage (`gcloud compute instances describe`)'
  const get = async (path: string): Promise<HttpAnswer> => {
    let answer: HttpAnswer
    try {
      answer = await fetchWithin(
        `${endpoint}${path}`,
        { headers: { 'metadata-flavor': 'Google' } },
        METADATA_TIMEOUT_MS,
      )
    } catch (error) {
      const reason = error instanceof NoAnswerError ? error.reason : (error as Error).message
      throw authError(`${source}: ${reason}`, 'AUTH_UNAVAILABLE', error)
    }
    if (answer.headers.get('metadata-flavor') !== 'Google') {
      throw authError(
        `${source}: answered HTTP ${answer.status} without Metadata-Flavor: Google, so it is not one`,
        'AUTH_UNAVAILABLE',
      )
    }
    if (answer.status === 404) {
      throw authError(`${source}: no service account is attached; ${renew}`, 'AUTH_MISSING')
    }
    if (!answer.ok) throw authError(`${source}: GET ${path} answered HTTP ${answer.status}; ${renew}`)
    return answer
  }
  return {
    source,
    renew,
    fetch: async () => {
      const [token, email] = await Promise.all([get(`${ACCOUNT}/token`), get(`${ACCOUNT}/email`)])
      return {
        ...oauthToken(parseJsonObject(token.text, source), source),
        identity: email.text.trim() || undefined,
      }
    },
  }
}
