/**
 * Azure Storage SharedKey signing: an HMAC-SHA256, keyed with the account key, over the
 * canonical string-to-sign of a request (verb, standard headers by position, the x-ms-*
 * headers, and the account-qualified resource with its query parameters).
 * https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key
 */
import { Buffer } from 'node:buffer'
import { createHmac } from 'node:crypto'
import type { Secret } from '../../log/secret.ts'

/** Standard headers whose values go into the string-to-sign by position, in this order. */
const POSITIONAL = [
  'content-encoding',
  'content-language',
  'content-length',
  'content-md5',
  'content-type',
  'date',
  'if-modified-since',
  'if-match',
  'if-none-match',
  'if-unmodified-since',
  'range',
]

/** `/<account><path>` then one `\n<name>:<values>` line per query parameter, names sorted. */
function canonicalResource(account: string, url: URL): string {
  const params = new Map<string, string[]>()
  for (const [name, value] of url.searchParams) {
    const key = name.toLowerCase()
    params.set(key, [...params.get(key) ?? [], value])
  }
  const query = [...params.keys()].sort()
    .map((name) => `\n${name}:${params.get(name)!.sort().join(',')}`)
    .join('')
  return `/${account}${url.pathname}${query}`
}

/** The canonical string-to-sign; `headers` has lowercase names and includes content-length. */
function stringToSign(method: string, url: URL, headers: Record<string, string>, account: string): string {
  // Since version 2015-02-21 a zero Content-Length is signed as an empty string.
  const positional = POSITIONAL.map((name) =>
    name === 'content-length' && headers[name] === '0' ? '' : headers[name] ?? ''
  )
  const storage = Object.keys(headers).filter((name) => name.startsWith('x-ms-')).sort()
    .map((name) => `${name}:${headers[name].trim()}\n`)
    .join('')
  return `${[method, ...positional].join('\n')}\n${storage}${canonicalResource(account, url)}`
}

/** The `Authorization` header value for a request signed with the account key. */
export function sharedKeyAuthorization(
  account: string,
  key: Secret,
  method: string,
  url: URL,
  headers: Record<string, string>,
): string {
  const signature = createHmac('sha256', Buffer.from(key.reveal(), 'base64'))
    .update(stringToSign(method, url, headers, account), 'utf8')
    .digest('base64')
  return `SharedKey ${account}:${signature}`
}
