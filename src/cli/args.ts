/**
 * Command-line parsing with `node:util` parseArgs (no dependency): each command declares its
 * options, the global ones are added to every command, and errors are usage errors (exit 2).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { configError } from '../errors.ts'
import { LOG_LEVELS, type LogFormat, type LogLevel } from '../log/logger.ts'
import { env } from '../runtime/process.ts'
import { stderr } from '../runtime/io.ts'

/** Option definitions, as parseArgs takes them. */
export type Options = NonNullable<ParseArgsConfig['options']>

/** Options every command accepts. */
export const GLOBAL_OPTIONS = {
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Options

/** Config-file options shared by the commands that read one. */
export const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  export: { type: 'string', short: 'e', multiple: true },
  param: { type: 'string', short: 'p', multiple: true },
} as const satisfies Options

/** Parsed values: strings, booleans and string lists by option name. */
export type Values = Record<string, string | boolean | string[] | undefined>

/** Parses `argv` for a command; unknown options and missing values are usage errors. */
export function parse(
  command: string,
  argv: string[],
  options: Options,
): { values: Values; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...GLOBAL_OPTIONS, ...options },
      allowPositionals: true,
      strict: true,
    })
    return { values: values as Values, positionals }
  } catch (error) {
    const message = (error as Error).message.split('\n')[0].replace(/\. To specify a positional.*$/, '')
    throw configError(`${command}: ${message}; see rivet help ${command}`, 'USAGE')
  }
}

/** Log settings from flags and RIVET_LOG_LEVEL; text on a TTY, JSON lines otherwise. */
export function logSettings(values: Values): { level: LogLevel; format: LogFormat } {
  const level = (values['log-level'] as string | undefined) ?? env('RIVET_LOG_LEVEL') ?? 'info'
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    throw configError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, not "${level}"`, 'USAGE')
  }
  const format = (values['log-format'] as string | undefined) ?? (stderr.isTTY ? 'text' : 'json')
  if (format !== 'text' && format !== 'json') {
    throw configError(`--log-format must be text or json, not "${format}"`, 'USAGE')
  }
  return { level: level as LogLevel, format }
}

/** `-p key=value` pairs as a lookup, with a usage error for a malformed one. */
export function params(values: Values): Map<string, string> {
  const out = new Map<string, string>()
  for (const pair of (values.param as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=')
    if (eq < 1) throw configError(`-p ${pair}: expected key=value`, 'USAGE')
    out.set(pair.slice(0, eq), pair.slice(eq + 1))
  }
  return out
}
