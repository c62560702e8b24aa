/**
 * RS256 JSON Web Tokens signed with WebCrypto (`crypto.subtle`, the same on Bun and Deno) from
 * a PKCS#8 PEM private key, as Google's service account keys hold them.
 */
import { Buffer } from 'node:buffer'
import type { Secret } from '../../log/secret.ts'

const RS256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }

/** A private key that is not a PKCS#8 RSA key in PEM. */
export class KeyFormatError extends Error {
  override readonly name = 'KeyFormatError'
}

/** Imports the PEM's key for signing. */
export async function importSigningKey(pem: Secret): Promise<CryptoKey> {
  const match = /-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\s]+)-----END PRIVATE KEY-----/.exec(pem.reveal())
  if (!match) throw new KeyFormatError('private_key is not a PKCS#8 PEM (BEGIN PRIVATE KEY)')
  try {
    return await crypto.subtle.importKey('pkcs8', Buffer.from(match[1], 'base64'), RS256, false, ['sign'])
  } catch (error) {
    // The runtime's reason never quotes the key, but say only what the user can act on.
    throw new KeyFormatError(`private_key is not a usable RSA key (${(error as Error).name})`)
  }
}

function base64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString('base64url')
}

/** `header.claims.signature`, signed with `key`. */
export async function signJwt(
  claims: Record<string, unknown>,
  key: CryptoKey,
  keyId?: string,
): Promise<string> {
  const header = { alg: 'RS256', typ: 'JWT', ...(keyId ? { kid: keyId } : {}) }
  const signed = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`
  const signature = await crypto.subtle.sign(RS256, key, new TextEncoder().encode(signed))
  return `${signed}.${base64url(new Uint8Array(signature))}`
}
