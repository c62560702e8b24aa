/**
 * The shared AWS config files: ~/.aws/config (`[default]`, `[profile x]`, `[sso-session x]`)
 * and ~/.aws/credentials (`[x]`), at the paths AWS_CONFIG_FILE and AWS_SHARED_CREDENTIALS_FILE
 * name. Read whenever credentials are fetched, so keys a user rotates in the files are picked
 * up by the next refresh.
 */
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { authError } from '../../errors.ts'
import { env } from '../../runtime/process.ts'
import { type IniSection, parseIni } from './ini.ts'

/** Both files, parsed. */
export interface AwsConfigFiles {
  /** Profiles by name; a key in the credentials file wins over the same key in the config file. */
  profiles: Map<string, IniSection>
  /** `[sso-session name]` sections of the config file. */
  ssoSessions: Map<string, IniSection>
  /** Where the files are, for messages. */
  configPath: string
  credentialsPath: string
  /** False when neither file exists. */
  found: boolean
}

/** The home directory as the AWS CLI finds it: HOME (USERPROFILE on Windows), else the OS's. */
export function homeDirectory(): string {
  return env('HOME') || env('USERPROFILE') || homedir()
}

/** A path with a leading `~` replaced by the home directory. */
export function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? join(homeDirectory(), path.slice(1)) : path
}

/** The file's text, or undefined when it does not exist. */
function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined
    throw authError(
      `cannot read the AWS config file ${path}: ${(error as Error).message}`,
      'AUTH_MISSING',
      error,
    )
  }
}

/** Reads and merges ~/.aws/config and ~/.aws/credentials (or where the variables point). */
export function readAwsConfigFiles(): AwsConfigFiles {
  const configPath = expandHome(env('AWS_CONFIG_FILE') ?? join(homeDirectory(), '.aws', 'config'))
  const credentialsPath = expandHome(
    env('AWS_SHARED_CREDENTIALS_FILE') ?? join(homeDirectory(), '.aws', 'credentials'),
  )
  const configText = readIfPresent(configPath)
  const credentialsText = readIfPresent(credentialsPath)
  const profiles = new Map<string, IniSection>()
  const ssoSessions = new Map<string, IniSection>()
  const merge = (name: string, settings: IniSection) =>
    profiles.set(name, { ...profiles.get(name), ...settings })
  const config = parseIni(configText ?? '')
  // `[profile default]` is the documented spelling in the config file; `[default]` the common one.
  if (config.has('default')) merge('default', config.get('default')!)
  for (const [header, settings] of config) {
    const [kind, ...rest] = header.split(' ')
    const name = rest.join(' ')
    if (kind === 'profile' && name) merge(name, settings)
    else if (kind === 'sso-session' && name) ssoSessions.set(name, settings)
  }
  for (const [name, settings] of parseIni(credentialsText ?? '')) merge(name, settings)
  return {
    profiles,
    ssoSessions,
    configPath,
    credentialsPath,
    found: configText !== undefined || credentialsText !== undefined,
  }
}

/** The profile the environment selects: AWS_PROFILE, else `default`. */
export function environmentProfile(): { name: string; explicit: boolean } {
  const name = env('AWS_PROFILE')
  return name ? { name, explicit: true } : { name: 'default', explicit: false }
}
