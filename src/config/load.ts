/**
 * Loading a config file: YAML with positions, `${var}` substitution, schema validation. Every
 * error is one line that names the file, line and column and, for unknown keys, the likely
 * intended key.
 */
import { readFile } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { isMap, isScalar, LineCounter, type Node, parseDocument, visit } from 'yaml'
import type { z } from 'zod'
import { configError } from '../errors.ts'
import { type Config, configJsonSchema, configSchema } from './schema.ts'
import { closest } from './suggest.ts'
import { substitute, type Variables } from './variables.ts'

/** A validated config and where it came from. */
export interface LoadedConfig {
  config: Config
  /** The config file's path. */
  file: string
  /** Directory relative paths in the file resolve against. */
  dir: string
  /** `file:line:col` of the value at a path like `['exports', 0, 'query']`, for messages. */
  locate(path: readonly PropertyKey[]): string
  /** The `${NAME}` lookup the file was read with, for files it names (`query_file`). */
  vars: Variables
}

/** How a config file is read. */
export interface LoadOptions {
  /**
   * Leave an unresolved `${NAME}` in place instead of failing (`rivet check --offline`, which
   * reports the names it would need); the value is then validated with the placeholder in it.
   */
  allowUnresolved?: boolean
}

/** Reads, substitutes and validates a config file. Throws a config error (exit 2) on any problem. */
export async function loadConfig(
  file: string,
  vars: Variables,
  options: LoadOptions = {},
): Promise<LoadedConfig> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as { code?: string }).code
    throw configError(
      code === 'ENOENT'
        ? `config file ${file} not found`
        : `cannot read config file ${file}: ${code ?? error}`,
      'CONFIG_NOT_FOUND',
    )
  }
  return parseConfig(text, file, vars, options)
}

/** Like {@link loadConfig}, from text already in memory. */
export function parseConfig(
  text: string,
  file: string,
  vars: Variables,
  options: LoadOptions = {},
): LoadedConfig {
  const lineCounter = new LineCounter()
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true })
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset)
    return `${file}:${line}:${col}`
  }
  const yamlError = doc.errors[0]
  if (yamlError) {
    const reason = yamlError.message.split('\n')[0].replace(/ at line \d+, column \d+:?.*$/, '')
    throw configError(`${at(yamlError.pos[0])}: invalid YAML: ${reason}`, 'CONFIG_YAML')
  }

  visit(doc, {
    // The YAML library throws from toJS() for an alias whose anchor is missing: say where instead.
    Alias(_key, node) {
      if (!node.resolve(doc)) {
        throw configError(
          `${
            at(node.range?.[0] ?? 0)
          }: invalid YAML: alias *${node.source} names no anchor (&${node.source})`,
          'CONFIG_YAML',
        )
      }
    },
    Scalar(_key, node) {
      if (typeof node.value !== 'string' || !node.value.includes('${')) return
      const { value, missing } = substitute(node.value, vars)
      if (missing.length && !options.allowUnresolved) {
        throw configError(
          `${at(node.range?.[0] ?? 0)}: \${${missing[0]}} is not set: pass -p ${missing[0]}=... or export ${
            missing[0]
          }`,
          'CONFIG_UNRESOLVED_VARIABLE',
        )
      }
      node.value = value
    },
  })

  const locateNode = (path: readonly PropertyKey[]): Node | undefined => {
    const node = doc.getIn(path as unknown[], true)
    return node && typeof node === 'object' && 'range' in (node as object) ? node as Node : undefined
  }
  const locate = (path: readonly PropertyKey[]): string => {
    for (let n = path.length; n >= 0; n--) {
      const node = locateNode(path.slice(0, n))
      if (node?.range) return at(node.range[0])
    }
    return file
  }

  const raw = doc.toJS() ?? {}
  const result = configSchema.safeParse(raw, { reportInput: true })
  if (!result.success) {
    const issue = result.error.issues[0]
    throw configError(describeIssue(issue, doc, locate, at), 'CONFIG_INVALID')
  }
  return { config: result.data, file, dir: dirname(resolve(file)), locate, vars }
}

function dotted(path: readonly PropertyKey[]): string {
  return path.map((p) => typeof p === 'number' ? `[${p}]` : `.${String(p)}`).join('').replace(/^\./, '')
}

let knownKeys: Set<string> | undefined
function allKeys(): Set<string> {
  if (knownKeys) return knownKeys
  const keys = new Set<string>()
  const walk = (node: unknown) => {
    if (!node || typeof node !== 'object') return
    const props = (node as { properties?: Record<string, unknown> }).properties
    if (props) { for (const k of Object.keys(props)) keys.add(k) }
    for (const v of Object.values(node)) walk(v)
  }
  walk(configJsonSchema())
  return knownKeys = keys
}

function describeIssue(
  issue: z.core.$ZodIssue,
  doc: ReturnType<typeof parseDocument>,
  locate: (path: readonly PropertyKey[]) => string,
  at: (offset: number) => string,
): string {
  const path = issue.path
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]
    const map = doc.getIn(path as unknown[], true)
    let where = locate(path)
    if (isMap(map)) {
      const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key)
      if (pair && isScalar(pair.key) && pair.key.range) where = at(pair.key.range[0])
    }
    const guess = closest(key, allKeys())
    const inside = path.length ? ` in ${dotted(path)}` : ''
    return `${where}: unknown key "${key}"${inside}${guess ? `; did you mean "${guess}"?` : ''}`
  }
  const name = dotted(path) || 'the file'
  if (issue.code === 'invalid_type' && issue.input === undefined) {
    return `${locate(path)}: ${name} is required`
  }
  const choices = issue.code === 'invalid_value'
    ? issue.values
    : issue.code === 'invalid_union' && 'options' in issue
    ? issue.options as unknown[]
    : undefined
  if (choices) {
    const got = doc.getIn(path as unknown[])
    const guess = typeof got === 'string' ? closest(got, choices.map(String)) : undefined
    const options = choices.map((v) => JSON.stringify(v)).join(', ')
    const hint = guess ? `; did you mean "${guess}"?` : ''
    return `${locate(path)}: ${name} is ${JSON.stringify(got)}; expected one of ${options}${hint}`
  }
  if (issue.code === 'invalid_type') {
    return `${locate(path)}: ${name} must be ${
      issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`
    }, not ${JSON.stringify(issue.input)}`
  }
  if (issue.code === 'too_small' && issue.origin === 'array') {
    return `${locate(path)}: ${name} must list at least ${issue.minimum} item(s)`
  }
  return `${locate(path)}: ${name}: ${issue.message}`
}

/** Resolves a path from the config against the config file's directory. */
export function resolvePath(loaded: LoadedConfig, path: string): string {
  return resolve(loaded.dir, path)
}
