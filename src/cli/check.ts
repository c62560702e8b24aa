/**
 * `rivet check`: connect, describe each export's columns and output types, estimate rows. Writes
 * nothing. `--offline` checks the config file alone and contacts nothing.
 */
import { existsSync, readFileSync } from 'node:fs'
import { loadConfig, resolvePath } from '../config/load.ts'
import { substitute } from '../config/variables.ts'
import { compareSchemas, describeChange, driftFails, recordSchema } from '../pipeline/drift.ts'
import { changeColumns } from '../pipeline/capture.ts'
import { metaColumns } from '../pipeline/meta.ts'
import { checkColumnKeys, columnOverride, exportQuery, planColumns } from '../pipeline/plan.ts'
import { openStateStore } from '../pipeline/state-place.ts'
import { env } from '../runtime/process.ts'
import { typeName } from '../types/output.ts'
import { VERSION } from '../version.ts'
import { CONFIG_OPTIONS, params, type Values } from './args.ts'
import { captureReport, describeCapture } from './cdc.ts'
import type { Command, CommandResult } from './command.ts'
import { loadFromArgs, selectExports, withSource } from './context.ts'
import { configError, sourceError } from '../errors.ts'
import type { CheckDocument } from './documents.ts'

export const checkCommand: Command = {
  name: 'check',
  summary:
    'preflight: connect, describe columns and their output types, estimate rows; writes nothing. --offline: the config alone',
  usage: 'rivet check -c FILE [-e NAME]... [-p key=value]... [--offline] [--json]',
  options: { ...CONFIG_OPTIONS, offline: { type: 'boolean' } },
  async run({ values, logger }) {
    if (values.offline) return await checkOffline(values)
    const loaded = await loadFromArgs('check', values)
    const exports = selectExports(loaded, values)
    const reports = await withSource(loaded, async (source) => {
      const out = []
      for (const exp of exports) {
        const query = await exportQuery(exp, source, loaded)
        const described = await source.describe(query)
        const columns = described.map((c) => {
          const override = columnOverride(exp, c.name).type
          const type = override ?? c.type
          return {
            name: c.name,
            source_type: c.sourceType,
            output_type: type ? typeName(type) : null,
            fidelity: override ? 'exact' as const : c.fidelity,
            nullable: c.nullable,
            ...(override ? { override: typeName(override) } : {}),
            ...(c.hint && !override ? { hint: c.hint } : {}),
          }
        })
        // Keys naming columns, and drift, are checked once every column has a type.
        let drift: CheckDocument['exports'][number]['drift']
        if (columns.every((c) => c.output_type !== null)) {
          const table = planColumns(exp, described)
          const planned = exp.mode === 'cdc' ? changeColumns(table) : table
          checkColumnKeys(exp, planned)
          const { state } = await openStateStore(loaded, exp, logger).load(exp.name)
          if (state?.schema) {
            const output = [...planned, ...metaColumns(exp.meta_columns ?? [])]
            const changes = compareSchemas(state.schema.columns, recordSchema(output).columns)
            drift = {
              since: state.schema.run_id ?? null,
              changes: changes.map(describeChange),
              refused: driftFails(changes, exp.on_schema_drift),
            }
          }
        }
        out.push({
          name: exp.name,
          query,
          estimated_rows: await source.estimateRows(query) ?? null,
          ...(exp.mode === 'cdc' ? { capture: await captureReport(exp, source) } : {}),
          columns,
          ...(drift ? { drift } : {}),
        })
      }
      return out
    })
    const text = reports.map((r) => {
      const width = Math.max(...r.columns.map((c) => c.name.length), 4)
      const lines = r.columns.map((c) =>
        `  ${c.name.padEnd(width)}  ${c.source_type.padEnd(28)} -> ${
          (c.output_type ?? '?').padEnd(16)
        } ${c.fidelity}${c.hint ? `  (${c.hint})` : ''}`
      )
      const estimate = r.estimated_rows === null ? 'unknown' : `~${r.estimated_rows.toLocaleString('en-US')}`
      const drift = !r.drift
        ? ''
        : r.drift.changes.length
        ? `\n  schema drift since ${r.drift.since ? `run ${r.drift.since}` : 'the accepted schema'}: ${
          r.drift.changes.join('; ')
        }${r.drift.refused ? ' (a run would stop with exit 6)' : ''}`
        : '\n  no schema drift since the last run'
      const capture = r.capture ? `\n  ${describeCapture(r.capture)}` : ''
      return `${r.name}: ${estimate} rows\n${lines.join('\n')}${drift}${capture}`
    }).join('\n\n')
    const unsupported = reports.flatMap((r) =>
      r.columns.filter((c) => c.fidelity === 'unsupported').map((c) => ({ r, c }))
    )
    const document: CheckDocument = {
      rivet_version: VERSION,
      status: unsupported.length ? 'failed' : 'succeeded',
      exports: reports,
    }
    if (unsupported.length) {
      const first = unsupported[0]
      const error = sourceError(
        `export ${first.r.name}: ${unsupported.length} column(s) cannot be exported exactly, first "${first.c.name}" (${first.c.source_type}): ${first.c.hint}`,
        'UNSUPPORTED_TYPE',
      )
      error.document = document
      error.report = text
      throw error
    }
    return { document, text }
  },
}

/** One `${NAME}` the config or a `query_file` uses, and where its value comes from. */
interface NeededVariable {
  name: string
  /** `param` (-p), `env`, or null when unset: a run would stop with exit 2 until it is set. */
  from: 'param' | 'env' | null
}

/** A file the config names, anchored at the config file's directory. */
interface NamedFile {
  key: string
  path: string
  /** null when the path holds an unresolved `${NAME}` and cannot be looked up yet. */
  exists: boolean | null
}

/** `rivet check --offline --json`: what the config file needs, found without contacting anything. */
export interface OfflineCheckDocument extends Record<string, unknown> {
  rivet_version: string
  status: 'succeeded' | 'failed'
  offline: true
  file: string
  exports: string[]
  variables: NeededVariable[]
  /** Environment variables the config names with `*_env` keys: read by a run, not here. */
  env: { name: string; key: string; set: boolean }[]
  files: NamedFile[]
}

function dotted(path: readonly (string | number)[]): string {
  return path.map((p) => typeof p === 'number' ? `[${p}]` : `.${p}`).join('').replace(/^\./, '')
}

/** Every scalar under `node` with its path, in file order. */
function* leaves(node: unknown, path: (string | number)[] = []): Generator<[(string | number)[], unknown]> {
  if (Array.isArray(node)) {
    for (const [i, v] of node.entries()) yield* leaves(v, [...path, i])
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) yield* leaves(v, [...path, k])
  } else {
    yield [path, node]
  }
}

/**
 * The config alone: YAML, keys, types and the rules between keys (exit 2 like any run), the
 * files it names (query_file, ca_file, credentials_file, the SQLite database: a missing one is
 * exit 2), the `${NAME}` placeholders and `*_env` variables a run would read. Unset ones are
 * listed, not errors: the machine that checks a config is often not the one that runs it.
 */
async function checkOffline(values: Values): Promise<CommandResult> {
  const file = values.config as string | undefined
  if (!file) throw configError('check: -c FILE is required', 'USAGE')
  const given = params(values)
  const variables = new Map<string, NeededVariable>()
  const lookup = (name: string) => {
    const value = given.get(name) ?? env(name)
    if (!variables.has(name)) {
      variables.set(name, { name, from: given.has(name) ? 'param' : value === undefined ? null : 'env' })
    }
    return value
  }
  const loaded = await loadConfig(file, lookup, { allowUnresolved: true })
  const exports = selectExports(loaded, values)

  const files: NamedFile[] = []
  const places = new Map<NamedFile, (string | number)[]>()
  const envs: OfflineCheckDocument['env'] = []
  // An export that names no destination carries the top-level one: list its keys once, where written.
  const config = loaded.config
  const written = {
    ...config,
    exports: config.exports.map((e) =>
      e.destination === config.destination ? { ...e, destination: undefined } : e
    ),
  }
  for (const [path, value] of leaves(written)) {
    const key = String(path.at(-1))
    if (typeof value !== 'string') continue
    if (key.endsWith('_env')) envs.push({ name: value, key: dotted(path), set: env(value) !== undefined })
    const sqlite = loaded.config.source.type === 'sqlite' && dotted(path) === 'source.path'
    if (!key.endsWith('_file') && !sqlite) continue
    const resolved = resolvePath(loaded, value)
    const named = {
      key: dotted(path),
      path: resolved,
      exists: value.includes('${') ? null : existsSync(resolved),
    }
    files.push(named)
    places.set(named, path)
  }
  // A query file's placeholders are the run's too (the same -p and environment fill them).
  for (const named of files) {
    if (named.exists && named.key.endsWith('.query_file')) {
      substitute(readFileSync(named.path, 'utf8'), lookup)
    }
  }

  const missing = files.filter((f) => f.exists === false)
  const document: OfflineCheckDocument = {
    rivet_version: VERSION,
    status: missing.length ? 'failed' : 'succeeded',
    offline: true,
    file: loaded.file,
    exports: exports.map((e) => e.name),
    variables: [...variables.values()],
    env: envs,
    files,
  }
  const list = <T>(title: string, items: T[], line: (item: T) => string) =>
    items.length ? [`${title}:`, ...items.map((item) => `  ${line(item)}`)] : []
  const text = [
    `${loaded.file}: ${missing.length ? 'invalid' : 'valid'} (offline: nothing was contacted)`,
    `exports: ${document.exports.join(', ')}`,
    ...list(
      'variables (${NAME})',
      document.variables,
      (v) =>
        `${v.name}  ${
          v.from === 'param'
            ? 'set by -p'
            : v.from === 'env'
            ? 'set in the environment'
            : `not set: pass -p ${v.name}=... or export ${v.name}`
        }`,
    ),
    ...list(
      'environment variables a run reads',
      document.env,
      (e) => `${e.name}  (${e.key})  ${e.set ? 'set' : 'not set'}`,
    ),
    ...list(
      'files',
      document.files,
      (f) =>
        `${f.path}  (${f.key})  ${
          f.exists === null ? 'unknown until its ${NAME} is set' : f.exists ? 'found' : 'not found'
        }`,
    ),
  ].join('\n')
  if (missing.length) {
    const first = missing[0]
    const error = configError(
      `${loaded.locate(places.get(first)!)}: ${first.key}: ${first.path} not found${
        missing.length > 1 ? ` (and ${missing.length - 1} more missing file(s))` : ''
      }`,
      'CONFIG_FILE_NOT_FOUND',
    )
    error.document = document
    error.report = text
    throw error
  }
  return { document, text }
}
