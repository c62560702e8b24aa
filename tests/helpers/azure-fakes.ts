/**
 * Fakes of the places Azure tokens come from: the Microsoft Entra ID token endpoint (client
 * secret and federated assertion), instance metadata and App Service's identity endpoint, all
 * on one small HTTP server. They check each request like the real ones do and issue JWT-shaped
 * tokens for the storage audience that the HTTPS Azurite accepts until they expire. Every
 * token ends in the same planted signature, so the secret scan catches any token that leaks.
 */
import { writeFileSync } from 'node:fs'
import { type FakeAnswer, type FakeRequest, type HttpFake, httpFake } from './http-fake.ts'

/** The secrets these tests plant (tests/helpers/planted.ts lists them). */
export const AZURE_PLANTED = {
  clientSecret: 'azure-client-secret-planted-Qx7~Vb2',
  wrongClientSecret: 'azure-wrong-secret-planted-Lm4~Zt9',
  federatedToken: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.federated-planted-one',
  federatedTokenRotated: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2EifQ.federated-planted-two',
  identityHeader: 'app-service-identity-header-planted-5c1e',
  tokenSignature: 'azure-access-token-signature-planted-9f3b2a',
}

/** The app registration the fakes know. */
export const AZURE_APP = {
  tenant: '72f988bf-86f1-41af-91ab-2d7cd011db47',
  clientId: '11111111-2222-3333-4444-555555555555',
  userAssignedClientId: '99999999-8888-7777-6666-555555555555',
}

function base64url(json: unknown): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url')
}

/** A token issued by a fake, with what it was issued for. */
export interface IssuedToken {
  token: string
  /** Epoch ms. */
  issuedAt: number
  expiresAt: number
  /** Which endpoint: `entra`, `imds` or `app-service`. */
  by: string
  request: FakeRequest
}

/** How the fakes behave. */
export interface AzureFakeOptions {
  /** Seconds each token lives (and what `expires_in` says). */
  lifetime?: number
  /** Tokens whose JWT has already expired although `expires_in` says otherwise (revoked, skewed). */
  staleTokens?: number
  /** The federated token file the Entra fake expects the current assertion in; rotated on every issue. */
  federatedFile?: string
}

/** The fakes' server and what they issued. */
export interface AzureFakes {
  server: HttpFake
  issued: IssuedToken[]
  /** Requests refused, with the reason. */
  refused: { request: FakeRequest; reason: string }[]
}

const json = (status: number, body: unknown): FakeAnswer => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json' },
})

/** Starts the fakes. */
export async function azureFakes(options: AzureFakeOptions = {}): Promise<AzureFakes> {
  const lifetime = options.lifetime ?? 3600
  const issued: IssuedToken[] = []
  const refused: AzureFakes['refused'] = []
  let stale = options.staleTokens ?? 0
  let assertion = AZURE_PLANTED.federatedToken
  if (options.federatedFile) writeFileSync(options.federatedFile, assertion)

  const issue = (by: string, request: FakeRequest, clientId: string) => {
    const now = Date.now()
    const exp = stale-- > 0 ? now - 60_000 : now + lifetime * 1000
    const claims = {
      aud: 'https://storage.azure.com',
      iss: `https://sts.windows.net/${AZURE_APP.tenant}/`,
      iat: Math.floor(now / 1000) - 60,
      nbf: Math.floor(now / 1000) - 60,
      exp: Math.floor(exp / 1000),
      appid: clientId,
      tid: AZURE_APP.tenant,
      jti: `${by}-${issued.length}`,
    }
    const token = `${base64url({ alg: 'RS256', typ: 'JWT' })}.${
      base64url(claims)
    }.${AZURE_PLANTED.tokenSignature}`
    issued.push({ token, issuedAt: now, expiresAt: exp, by, request })
    if (options.federatedFile) {
      // The platform rotates the file: the next exchange must present the new one.
      assertion = assertion === AZURE_PLANTED.federatedToken
        ? AZURE_PLANTED.federatedTokenRotated
        : AZURE_PLANTED.federatedToken
      writeFileSync(options.federatedFile, assertion)
    }
    return { token, expiresIn: String(lifetime), expiresOn: String(Math.floor(now / 1000) + lifetime) }
  }
  const refuse = (request: FakeRequest, answer: FakeAnswer, reason: string) => {
    refused.push({ request, reason })
    return answer
  }

  const entra = (request: FakeRequest): FakeAnswer => {
    const form = new URLSearchParams(request.body)
    if (request.method !== 'POST' || request.url !== `/${AZURE_APP.tenant}/oauth2/v2.0/token`) {
      return refuse(request, json(400, { error: 'invalid_request' }), 'wrong tenant or method')
    }
    const invalid = (description: string) =>
      refuse(
        request,
        json(401, { error: 'invalid_client', error_description: `${description}\r\nTrace ID: 0000` }),
        description,
      )
    if (
      form.get('grant_type') !== 'client_credentials' ||
      form.get('scope') !== 'https://storage.azure.com/.default'
    ) {
      return refuse(request, json(400, { error: 'invalid_scope' }), 'grant or scope')
    }
    if (form.get('client_id') !== AZURE_APP.clientId) {
      return refuse(
        request,
        json(400, { error: 'unauthorized_client', error_description: 'AADSTS700016: Application not found' }),
        'client id',
      )
    }
    if (form.has('client_secret')) {
      if (form.get('client_secret') !== AZURE_PLANTED.clientSecret) {
        return invalid('AADSTS7000215: Invalid client secret provided.')
      }
    } else if (
      form.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer' ||
      form.get('client_assertion') !== assertion
    ) {
      return invalid('AADSTS700211: No matching federated identity record found for presented assertion.')
    }
    const t = issue('entra', request, AZURE_APP.clientId)
    return json(200, {
      token_type: 'Bearer',
      expires_in: Number(t.expiresIn),
      ext_expires_in: Number(t.expiresIn),
      access_token: t.token,
    })
  }

  const managed = (request: FakeRequest, url: URL): FakeAnswer => {
    const imds = url.pathname === '/metadata/identity/oauth2/token'
    if (url.searchParams.get('resource') !== 'https://storage.azure.com/') {
      return refuse(request, json(400, { error: 'invalid_resource' }), 'resource')
    }
    if (imds) {
      if (request.headers.metadata !== 'true' || url.searchParams.get('api-version') !== '2018-02-01') {
        return refuse(
          request,
          json(400, {
            error: 'invalid_request',
            error_description: 'Required metadata header not specified',
          }),
          'metadata header or api-version',
        )
      }
    } else if (
      request.headers['x-identity-header'] !== AZURE_PLANTED.identityHeader ||
      url.searchParams.get('api-version') !== '2019-08-01'
    ) {
      return refuse(request, json(401, { error: 'invalid_request' }), 'identity header or api-version')
    }
    const clientId = url.searchParams.get('client_id') ?? 'system-assigned'
    const t = issue(imds ? 'imds' : 'app-service', request, clientId)
    return json(200, {
      access_token: t.token,
      ...(imds ? { expires_in: t.expiresIn } : {}),
      expires_on: t.expiresOn,
      resource: 'https://storage.azure.com/',
      token_type: 'Bearer',
    })
  }

  const server = await httpFake((request) => {
    const url = new URL(request.url, 'http://fake')
    if (url.pathname.endsWith('/oauth2/v2.0/token')) return entra(request)
    if (url.pathname === '/metadata/identity/oauth2/token' || url.pathname === '/msi/token') {
      return managed(request, url)
    }
    return refuse(request, { status: 404 }, 'unknown path')
  })
  return { server, issued, refused }
}
