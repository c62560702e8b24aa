/**
 * Azure Storage connection strings: `;`-separated `Key=Value` pairs naming the account, its
 * blob endpoint (BlobEndpoint, or DefaultEndpointsProtocol + AccountName + EndpointSuffix) and
 * one credential (AccountKey or SharedAccessSignature); `UseDevelopmentStorage=true` stands
 * for Azurite's well-known development account. Errors never quote the string: it holds the key.
 */
import { configError } from '../../errors.ts'

/** Azurite's (and the old storage emulator's) account, key and blob endpoint, documented by Microsoft. */
const DEVELOPMENT = {
  account: 'devstoreaccount1',
  key: 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
  endpoint: 'http://127.0.0.1:10000/devstoreaccount1',
}

/** What a connection string says. */
export interface ConnectionString {
  account: string
  endpoint: string
  credential: { kind: 'shared-key'; key: string } | { kind: 'sas'; token: string }
}

/** The account in a blob endpoint: the first path segment on an IP or localhost, else the first label. */
function accountOf(endpoint: URL): string {
  const pathStyle = /^(\d+\.\d+\.\d+\.\d+|localhost|\[.*\])$/.test(endpoint.hostname)
  return (pathStyle ? endpoint.pathname.split('/')[1] : endpoint.hostname.split('.')[0]) ?? ''
}

/** Parses `text`, read from the variable `variable`; `where` names the block in messages. */
export function parseConnectionString(text: string, variable: string, where: string): ConnectionString {
  const fail = (why: string) =>
    configError(`${where}: the connection string in ${variable} ${why}`, 'CONFIG_INVALID')
  const pairs = new Map<string, string>()
  for (const segment of text.trim().split(';')) {
    if (!segment.trim()) continue
    const eq = segment.indexOf('=')
    if (eq <= 0) throw fail('has a part that is not Key=Value')
    pairs.set(segment.slice(0, eq).trim().toLowerCase(), segment.slice(eq + 1).trim())
  }
  if (pairs.get('usedevelopmentstorage')?.toLowerCase() === 'true') {
    const { account, endpoint, key } = DEVELOPMENT
    return { account, endpoint, credential: { kind: 'shared-key', key } }
  }
  const key = pairs.get('accountkey')
  const sas = pairs.get('sharedaccesssignature')
  if (key && sas) throw fail('has both AccountKey and SharedAccessSignature')
  if (!key && !sas) throw fail('has neither AccountKey nor SharedAccessSignature')
  let endpoint = pairs.get('blobendpoint')
  let account = pairs.get('accountname')
  if (endpoint) {
    let url: URL
    try {
      url = new URL(endpoint)
    } catch {
      throw fail('has a BlobEndpoint that is not a URL')
    }
    endpoint = url.toString().replace(/\/+$/, '')
    account ??= accountOf(url)
  } else {
    if (!account) throw fail('has neither BlobEndpoint nor AccountName')
    const protocol = pairs.get('defaultendpointsprotocol') ?? 'https'
    if (protocol !== 'https' && protocol !== 'http') {
      throw fail('has a DefaultEndpointsProtocol other than https or http')
    }
    endpoint = `${protocol}://${account}.blob.${pairs.get('endpointsuffix') ?? 'core.windows.net'}`
  }
  if (!account) throw fail('names no account (AccountName)')
  return { account, endpoint, credential: key ? { kind: 'shared-key', key } : { kind: 'sas', token: sas! } }
}
