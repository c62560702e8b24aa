/**
 * A user's refresh token (what `gcloud auth application-default login` writes): exchanged at
 * the file's `token_uri`, or Google's, for an access token whenever the last one runs out.
 */
import { oauthToken, postForm } from './endpoint.ts'
import type { AuthorizedUser } from './key-file.ts'
import type { FileOrigin, GoogleSource } from './source.ts'

/** The source that refreshes `user`'s access token; `origin` says where the file was found. */
export function authorizedUserSource(user: AuthorizedUser, origin: FileOrigin): GoogleSource {
  const source = `${origin.label} (authorized user)`
  const renew = origin.gcloud
    ? 'run `gcloud auth application-default login`'
    : 'the refresh token may be revoked or expired: sign in again (`gcloud auth application-default login`) ' +
      `and put the new application_default_credentials.json in place of ${origin.path}`
  return {
    source,
    renew,
    fetch: async () => {
      const json = await postForm(user.tokenUri, {
        grant_type: 'refresh_token',
        client_id: user.clientId,
        client_secret: user.clientSecret.reveal(),
        refresh_token: user.refreshToken.reveal(),
      }, { what: source, renew })
      return { ...oauthToken(json, source), identity: user.account }
    },
  }
}
