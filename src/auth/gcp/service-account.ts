/**
 * A service account key: a JWT assertion signed with the key (RS256), exchanged at the key's
 * `token_uri` for an access token (the OAuth 2 JWT bearer grant, RFC 7523), one hour at a time.
 * https://developers.google.com/identity/protocols/oauth2/service-account#httprest
 */
import { authError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'
import { type EndpointCall, oauthToken, postForm } from './endpoint.ts'
import { importSigningKey, KeyFormatError, signJwt } from './jwt.ts'
import type { ServiceAccountKey } from './key-file.ts'
import type { FileOrigin, GoogleSource } from './source.ts'

/** How long an assertion is valid: the most Google accepts. */
const ASSERTION_SECONDS = 3600

/** The source that trades `key`'s assertions for tokens; `origin` says where the key was found. */
export function serviceAccountSource(
  key: ServiceAccountKey,
  origin: FileOrigin,
  scope: string,
): GoogleSource {
  const source = `${origin.label} (service account)`
  const renew = `the key of ${key.clientEmail} may be disabled or deleted: create a new one ` +
    `(\`gcloud iam service-accounts keys create\`) in place of ${origin.path}`
  const call: EndpointCall = { what: source, renew }
  let signingKey: Promise<CryptoKey> | undefined
  return {
    source,
    renew,
    fetch: async () => {
      signingKey ??= importSigningKey(key.privateKey)
      let cryptoKey: CryptoKey
      try {
        cryptoKey = await signingKey
      } catch (error) {
        signingKey = undefined
        if (error instanceof KeyFormatError) {
          throw authError(`${source}: ${error.message}`, 'AUTH_INVALID_KEY')
        }
        throw error
      }
      const now = Math.floor(Date.now() / 1000)
      const assertion = new Secret(
        await signJwt(
          { iss: key.clientEmail, scope, aud: key.tokenUri, iat: now, exp: now + ASSERTION_SECONDS },
          cryptoKey,
          key.privateKeyId,
        ),
      )
      const json = await postForm(key.tokenUri, {
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        assertion: assertion.reveal(),
      }, call)
      return { ...oauthToken(json, source), identity: key.clientEmail }
    },
  }
}
