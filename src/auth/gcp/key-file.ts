/**
 * Google's credential JSON files, the ones `gcloud` and the Cloud console write: a
 * `service_account` key, an `authorized_user` (a user's refresh token), an `external_account`
 * (workload identity federation) and an `impersonated_service_account` around one of the first
 * two. Parsing checks every field rivet needs and wraps the secret ones; a problem is reported
 * through `fail` without quoting the file, which holds the secrets.
 */
import { readFileSync } from 'node:fs'
import type { RivetError } from '../../errors.ts'
import { Secret } from '../../log/secret.ts'

/** Where a user's refresh token is exchanged when the file names no `token_uri`. */
export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token'

/** A service account key. */
export interface ServiceAccountKey {
  type: 'service_account'
  clientEmail: string
  /** PKCS#8 PEM. */
  privateKey: Secret
  privateKeyId?: string
  tokenUri: string
}

/** A user's OAuth client and refresh token (`gcloud auth application-default login`). */
export interface AuthorizedUser {
  type: 'authorized_user'
  clientId: string
  clientSecret: Secret
  refreshToken: Secret
  tokenUri: string
  /** The signed-in user's email, when gcloud recorded it. */
  account?: string
}

/** Where a workload identity federation's subject token comes from. */
export interface SubjectTokenSource {
  file?: string
  url?: string
  headers?: Record<string, string>
  /** `json` reads the token from `field` of a JSON document; `text` (default) is the token itself. */
  format: { type: 'text' } | { type: 'json'; field: string }
}

/** Workload identity federation: an external token exchanged at Google STS. */
export interface ExternalAccount {
  type: 'external_account'
  audience: string
  subjectTokenType: string
  tokenUrl: string
  credentialSource: SubjectTokenSource
  /** The generateAccessToken URL of the service account to impersonate with the federated token. */
  impersonationUrl?: string
}

/** Another credential impersonating a service account (`gcloud ... --impersonate-service-account`). */
export interface ImpersonatedServiceAccount {
  type: 'impersonated_service_account'
  impersonationUrl: string
  delegates: string[]
  source: ServiceAccountKey | AuthorizedUser
}

/** Any credential file rivet understands. */
export type GoogleKeyFile = ServiceAccountKey | AuthorizedUser | ExternalAccount | ImpersonatedServiceAccount

/** The file's fields, checked one by one. */
class Fields {
  constructor(
    private readonly json: Record<string, unknown>,
    private readonly fail: (why: string) => RivetError,
  ) {}

  optional(name: string): string | undefined {
    const value = this.json[name]
    if (value === undefined || value === null || value === '') return undefined
    if (typeof value !== 'string') throw this.fail(`${name} is not a string`)
    return value
  }

  required(name: string): string {
    const value = this.optional(name)
    if (value === undefined) throw this.fail(`${name} is missing`)
    return value
  }

  secret(name: string): Secret {
    return new Secret(this.required(name))
  }

  url(name: string): string {
    const value = this.required(name)
    if (!URL.canParse(value)) throw this.fail(`${name} is not a URL`)
    return value
  }

  /** `token_uri`, or Google's token endpoint when the file names none. */
  tokenUri(): string {
    return this.optional('token_uri') ? this.url('token_uri') : GOOGLE_TOKEN_URI
  }

  object(name: string): Record<string, unknown> {
    const value = this.json[name]
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw this.fail(`${name} is missing or not an object`)
    }
    return value as Record<string, unknown>
  }
}

function subjectTokenSource(
  json: Record<string, unknown>,
  fail: (why: string) => RivetError,
): SubjectTokenSource {
  const fields = new Fields(json, (why) => fail(`credential_source: ${why}`))
  const file = fields.optional('file')
  const url = fields.optional('url')
  if (Boolean(file) === Boolean(url)) {
    const other = json.environment_id ? 'an AWS' : json.executable ? 'an executable' : 'this'
    throw fail(
      `credential_source: rivet reads the subject token from a file or a URL; ${other} credential source is not supported`,
    )
  }
  const format = json.format === undefined ? {} : fields.object('format')
  const formatType = format.type ?? 'text'
  if (formatType !== 'text' && formatType !== 'json') {
    throw fail('credential_source.format.type must be text or json')
  }
  const field = format.subject_token_field_name
  if (formatType === 'json' && (typeof field !== 'string' || !field)) {
    throw fail('credential_source.format.subject_token_field_name is missing')
  }
  return {
    file,
    url,
    headers: json.headers === undefined ? undefined : fields.object('headers') as Record<string, string>,
    format: formatType === 'json' ? { type: 'json', field: field as string } : { type: 'text' },
  }
}

/** Parses a credential file's JSON; `fail` makes the error for a problem (`why` says which). */
export function parseKeyFile(
  json: Record<string, unknown>,
  fail: (why: string) => RivetError,
): GoogleKeyFile {
  const fields = new Fields(json, fail)
  const type = fields.required('type')
  switch (type) {
    case 'service_account':
      return {
        type,
        clientEmail: fields.required('client_email'),
        privateKey: fields.secret('private_key'),
        privateKeyId: fields.optional('private_key_id'),
        tokenUri: fields.tokenUri(),
      }
    case 'authorized_user':
      return {
        type,
        clientId: fields.required('client_id'),
        clientSecret: fields.secret('client_secret'),
        refreshToken: fields.secret('refresh_token'),
        tokenUri: fields.tokenUri(),
        account: fields.optional('account'),
      }
    case 'external_account':
      return {
        type,
        audience: fields.required('audience'),
        subjectTokenType: fields.required('subject_token_type'),
        tokenUrl: fields.url('token_url'),
        credentialSource: subjectTokenSource(fields.object('credential_source'), fail),
        impersonationUrl: fields.optional('service_account_impersonation_url')
          ? fields.url('service_account_impersonation_url')
          : undefined,
      }
    case 'impersonated_service_account': {
      const source = parseKeyFile(
        fields.object('source_credentials'),
        (why) => fail(`source_credentials: ${why}`),
      )
      if (source.type !== 'service_account' && source.type !== 'authorized_user') {
        throw fail(`source_credentials: type ${source.type} cannot be impersonated from`)
      }
      const delegates = Array.isArray(json.delegates) ? json.delegates.map(String) : []
      return { type, impersonationUrl: fields.url('service_account_impersonation_url'), delegates, source }
    }
    default:
      throw fail(
        `type ${JSON.stringify(type)} is not one rivet reads ` +
          '(service_account, authorized_user, external_account, impersonated_service_account)',
      )
  }
}

/** Reads and parses the credential file at `path`; `fail` makes the error for a problem. */
export function readKeyFile(path: string, fail: (why: string) => RivetError): GoogleKeyFile {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw fail(`cannot be read (${(error as { code?: string }).code ?? (error as Error).message})`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw fail(`is not JSON (${text.length} bytes that do not parse)`)
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw fail('is not a JSON object')
  return parseKeyFile(json as Record<string, unknown>, fail)
}
