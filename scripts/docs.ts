/**
 * docs/config.md and docs/cli.md, generated from what rivet itself uses: the config schema (every
 * key with its type, default and `.describe()` text) and the CLI's command objects, options and
 * exit codes. `bun scripts/docs.ts` rewrites both after a change; tests/golden/docs.test.ts
 * fails when the committed files are out of date or a config key has no description.
 */
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GLOBAL_OPTIONS, type Options } from '../src/cli/args.ts'
import { overview } from '../src/cli/help.ts'
import { commands } from '../src/cli/main.ts'
import { configJsonSchema } from '../src/config/schema.ts'
import { Exit } from '../src/errors.ts'

const ROOT = join(import.meta.dirname!, '..')

/** JSON Schema as zod writes it, the parts read here. */
interface Node {
  type?: string
  const?: unknown
  enum?: unknown[]
  default?: unknown
  description?: string
  properties?: Record<string, Node>
  required?: string[]
  additionalProperties?: Node | boolean
  items?: Node
  anyOf?: Node[]
  oneOf?: Node[]
  minItems?: number
}

/** What each exit code means; typed by {@link Exit}, so a new code cannot go undocumented. */
const EXIT_MEANINGS: Record<keyof typeof Exit, string> = {
  ok: 'success',
  internal: 'internal or unexpected error',
  config:
    'usage or configuration error: unknown key, bad value, unresolved `${var}`, missing env var or file',
  source: 'source database error: connect, query, unsupported column type',
  auth:
    'authentication or authorization error anywhere: bad password, missing, rejected or expired credentials',
  destination: 'destination error that is not auth: unreachable endpoint, missing bucket, upload failure',
  dataCheck:
    'data check failed: a quality rule, `validate`, `--reconcile`, schema drift refused by `on_schema_drift`',
  interrupted: 'interrupted (SIGINT/SIGTERM): in-flight uploads aborted, state not advanced',
}

/**
 * What each flag does, by name (a flag means the same in every command that takes it). The
 * generator reports a flag missing here, so a new one cannot go undocumented.
 */
const FLAG_HELP: Record<string, string> = {
  config: 'the config file (YAML); relative paths in it resolve against its directory',
  export: 'only this export (repeat for several; default: all)',
  param: 'fill `${key}` in the config and in query files; wins over the environment',
  'dry-run': 'plan each export (query, columns, output types) and write nothing',
  resume: 'continue the interrupted chunked run with only the chunks that never committed',
  reconcile: 'after the export, count the source rows of the range read; a difference exits 6',
  'metrics-file':
    "write each export's Prometheus metrics to this file (node_exporter textfile collector), replaced atomically",
  'accept-drift': "take the columns as they are now as the new baseline when they differ from the last run's",
  follow: 'cdc: run again every `rollover` until SIGTERM/Ctrl-C, committing each run (see docs/cdc.md)',
  offline: 'check the config file alone (keys, types, files, variables); contacts nothing',
  'run-id': 'validate this run instead of the latest committed one',
  limit: 'history: list at most this many runs per export, newest first (default 20)',
  'older-than': 'only garbage last written longer ago than this: 900s, 45m, 24h (default) or 7d',
  delete: 'remove the orphaned parts and abort the incomplete uploads listed, instead of only listing them',
  source: 'connection URL of the database to read the schema from (no password inside)',
  'source-env': 'environment variable holding the connection URL',
  table: 'a table to include (repeatable; default: every table the source lists)',
  output: 'write the config to this file instead of stdout',
  json: 'print the result as one JSON document on stdout (errors too)',
  help: "print the command's usage and flags",
  'log-level': 'error, warn, info (default) or debug; also RIVET_LOG_LEVEL',
  'log-format': 'text (default on a terminal) or json (default otherwise); logs go to stderr',
}

function typeOf(node: Node): string {
  const variants = node.anyOf ?? node.oneOf
  const kinds = variants?.map((v) => v.properties?.type?.const)
  if (kinds?.every((k) => k !== undefined)) return `mapping by \`type\`: ${kinds.join(', ')}`
  if (variants) return variants.map(typeOf).join(' or ')
  if (node.const !== undefined) return `\`${JSON.stringify(node.const)}\``
  if (node.enum) return node.enum.map((v) => `\`${v}\``).join(' \\| ')
  if (node.type === 'array') return `list of ${typeOf(node.items!)}`
  if (node.type === 'object' && !node.properties && typeof node.additionalProperties === 'object') {
    return `map of name to ${typeOf(node.additionalProperties)}`
  }
  if (node.type === 'object') return 'mapping'
  return node.type ?? 'any'
}

/** The rows of a mapping's keys, nested mappings flattened as `a.b`, into `rows`. */
function keyRows(
  node: Node,
  prefix: string,
  rows: string[][],
  missing: string[],
  where: string,
  nested = true,
): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const name = `${prefix}${key}`
    if (child.const === undefined && !child.description) missing.push(`${where}: ${name}`)
    const required = node.required?.includes(key) && child.default === undefined
    const fallback = child.default !== undefined
      ? `\`${JSON.stringify(child.default)}\``
      : required
      ? 'required'
      : ''
    const text = (child.description ?? (child.const !== undefined ? 'selects this kind of block' : ''))
      .replaceAll('|', '\\|').replaceAll('__', '\\_\\_').replaceAll('<', '\\<')
    rows.push([`\`${name}\``, typeOf(child), fallback, text])
    const record = typeof child.additionalProperties === 'object' ? child.additionalProperties : undefined
    const inner = record?.anyOf?.find((v) => v.properties)
    if (!nested) continue
    if (child.properties) keyRows(child, `${name}.`, rows, missing, where)
    else if (inner) keyRows(inner, `${name}.<name>.`, rows, missing, where)
  }
}

function table(node: Node, prefix: string, missing: string[], where: string, nested = true): string {
  const rows: string[][] = []
  keyRows(node, prefix, rows, missing, where, nested)
  return [
    '| key | type | default | description |',
    '| --- | --- | --- | --- |',
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n')
}

/** A block that is one of several kinds (`type:`): a table per kind. */
function kinds(node: Node, title: string, missing: string[]): string[] {
  return (node.oneOf ?? node.anyOf ?? [node]).map((variant) => {
    const type = variant.properties?.type
    const about = type?.description ? `: ${type.description}` : ''
    return `### ${title} \`type: ${type?.const}\`${about}\n\n${
      table(variant, '', missing, `${title} ${type?.const}`)
    }`
  })
}

/** docs/config.md; `missing` collects the keys that have no description. */
export function configDoc(missing: string[] = []): string {
  const schema = configJsonSchema() as Node
  const top = schema.properties!
  const exportItem = top.exports.items!
  const { destination: _, ...exportKeys } = exportItem.properties!
  return [
    '# Configuration reference',
    '',
    '<!-- Generated by `bun scripts/docs.ts` from src/config/schema.ts; edit the schema, not this file. -->',
    '',
    "Every key of rivet's YAML config file, from the schema rivet validates it with (`rivet schema` prints it as",
    'JSON Schema, for editors). Unknown keys are errors with a "did you mean" hint. `${NAME}` anywhere in the',
    'file is replaced from `-p NAME=value`, then the environment (`$${` writes a literal `${`); relative paths',
    'resolve against the directory of the config file. Secrets are never inline: `*_env` keys name an',
    'environment variable, `*_file` keys a file. `rivet check -c FILE --offline` validates a file without',
    'connecting to anything. Sizes are `256MB` (KB, MB, GB are powers of 1024) or a number of bytes; durations',
    '`900s`, `45m`, `1h` or a number of seconds. Examples: [examples/](../examples/).',
    '',
    '## Checking a file without connecting',
    '',
    '`rivet check -c FILE --offline` reads the file as a run would and contacts nothing (no database, no store,',
    'no credential endpoint):',
    '',
    '- It exits 2, with the one-line error a run would print, for what a run would refuse before connecting:',
    '  invalid YAML, an unknown key (with "did you mean"), a wrong type or value, keys that conflict, and a file',
    '  that is not there (`query_file`, `tls.ca_file`, `credentials_file`, a SQLite `path`).',
    '- It lists every `${NAME}` of the file and of its query files with where its value comes from (`-p`, the',
    '  environment) or that it is not set, and every variable a `*_env` key names, set or not. Unset ones are',
    '  listed, not errors (exit 0): the machine that checks a config (CI, a laptop) is rarely the one that runs',
    '  it. A run with one unset exits 2.',
    '- An unset `${NAME}` is validated as its own text: fine where any string goes (`bucket`, `prefix`, `url`),',
    '  but a key that must be a URL (`endpoint`) fails until it is set (`-p NAME=...`).',
    '- `--json` prints the same as a document: `variables`, `env` and `files`.',
    '',
    '## Top level',
    '',
    table(schema, '', missing, 'top level', false),
    '',
    '## source',
    '',
    ...kinds(top.source, 'source', missing).flatMap((t) => [t, '']),
    '## destination',
    '',
    'The top-level `destination` is the default of every export; an export may give its own `destination`',
    'block (any kind below), which replaces it whole.',
    '',
    ...kinds(top.destination, 'destination', missing).flatMap((t) => [t, '']),
    '## exports[]',
    '',
    'Each item of `exports`. `destination` on an export takes any block of the destination section.',
    '',
    table({ ...exportItem, properties: exportKeys }, '', missing, 'exports[]'),
    '',
    '## state',
    '',
    table(top.state, '', missing, 'state'),
    '',
  ].join('\n')
}

function optionRows(options: Options, missing: string[]): string[] {
  return Object.entries(options).map(([name, o]) => {
    if (!FLAG_HELP[name]) missing.push(`flag --${name}`)
    return `| \`--${name}\` | ${o.short ? `\`-${o.short}\`` : ''} | ${
      o.type === 'string' ? 'VALUE' : 'flag'
    } | ${o.multiple ? 'yes' : ''} | ${(FLAG_HELP[name] ?? '').replaceAll('|', '\\|')} |`
  })
}

const FLAG_HEADER = [
  '| flag | short | takes | repeatable | what it does |',
  '| --- | --- | --- | --- | --- |',
]

/** docs/cli.md. */
export async function cliDoc(missing: string[] = []): Promise<string> {
  const all = await commands()
  const exitRows = Object.entries(Exit).map(([name, code]) =>
    `| ${code} | \`${name}\` | ${EXIT_MEANINGS[name as keyof typeof Exit]} |`
  )
  return [
    '# Command-line reference',
    '',
    "<!-- Generated by `bun scripts/docs.ts` from the CLI's command definitions (src/cli/); do not edit. -->",
    '',
    '`rivet help`:',
    '',
    '```text',
    overview(all),
    '```',
    '',
    '## Global options',
    '',
    'Every command takes these; logs go to stderr, `--json` documents to stdout (their JSON Schemas are in',
    '[schemas/](schemas/)).',
    '',
    ...FLAG_HEADER,
    ...optionRows(GLOBAL_OPTIONS, missing),
    '',
    ...all.flatMap((c) => [
      `## rivet ${c.name}`,
      '',
      c.summary.replace(/^./, (f) => f.toUpperCase()) + '.',
      '',
      '```text',
      c.usage,
      '```',
      '',
      ...(Object.keys(c.options).length ? [...FLAG_HEADER, ...optionRows(c.options, missing), ''] : []),
    ]),
    '## Exit codes',
    '',
    'Every non-zero exit prints one line that says what failed, where and what to do next; with `--json` the',
    'same error is in the document: `{"error": {"code": "...", "exit": N, "message": "..."}}`.',
    '',
    '| code | name | meaning |',
    '| --- | --- | --- |',
    ...exitRows,
    '',
  ].join('\n')
}

/** Markdown as `deno fmt` leaves it, so the generated files pass `deno fmt --check`. */
function formatted(markdown: string): string {
  const deno = join(ROOT, 'node_modules', '.bin', 'deno')
  const result = spawnSync(deno, ['fmt', '--ext', 'md', '-'], {
    cwd: ROOT,
    input: markdown,
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`deno fmt failed: ${result.stderr}`)
  return result.stdout
}

/** File name under docs/ -> its generated text; `missing` collects undescribed config keys and flags. */
export async function generatedDocs(missing: string[] = []): Promise<Record<string, string>> {
  return {
    'config.md': formatted(configDoc(missing)),
    'cli.md': formatted(await cliDoc(missing)),
  }
}

if (import.meta.main) {
  const missing: string[] = []
  for (const [name, text] of Object.entries(await generatedDocs(missing))) {
    writeFileSync(join(ROOT, 'docs', name), text)
    console.log(`wrote docs/${name}`)
  }
  if (missing.length) console.error(`config keys and flags without a description:\n  ${missing.join('\n  ')}`)
}
