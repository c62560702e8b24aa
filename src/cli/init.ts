/**
 * `rivet init`: a starter config from a live database. Every table named (or every table, when
 * none is) becomes an export; a column rivet can't map exactly gets the override that makes it
 * exportable, with the reason beside it, so the first `rivet run` already works.
 */
import { writeFile } from 'node:fs/promises'
import { dirname, relative, resolve } from 'node:path'
import type { SourceConfig } from '../config/schema.ts'
import { configError } from '../errors.ts'
import { openSource } from '../sources/open.ts'
import type { Source } from '../sources/source.ts'
import { env } from '../runtime/process.ts'
import { VERSION } from '../version.ts'
import type { Command } from './command.ts'
import type { InitDocument } from './documents.ts'

/** The environment variable the written config names for a password that was in the URL. */
export const INIT_PASSWORD_ENV = 'RIVET_SOURCE_PASSWORD'

const engines: Record<string, SourceConfig['type']> = {
  postgres: 'postgres',
  postgresql: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
  sqlserver: 'sqlserver',
  mssql: 'sqlserver',
  sqlite: 'sqlite',
}

/** What the source block of the written config says, and how to connect now. */
function sourceFrom(
  values: Record<string, unknown>,
  configDir: string,
): { connect: SourceConfig; lines: string[] } {
  const envName = values['source-env'] as string | undefined
  const text = (values.source as string | undefined) ?? (envName ? env(envName) : undefined)
  if (!text) {
    throw configError(
      envName
        ? `--source-env ${envName}: the variable is not set`
        : 'init: give --source URL or --source-env NAME',
      envName ? 'CONFIG_MISSING_ENV' : 'USAGE',
    )
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase()
  if (!scheme || scheme === 'file' || scheme === 'sqlite' || !engines[scheme]) {
    if (scheme && !engines[scheme] && scheme !== 'file') {
      throw configError(
        `init: unknown source scheme "${scheme}:"; use ${Object.keys(engines).join(', ')}`,
        'USAGE',
      )
    }
    // The config resolves relative paths against its own directory.
    const path = resolve(text.replace(/^(sqlite|file):(\/\/)?/, ''))
    return {
      connect: { type: 'sqlite', path },
      lines: ['  type: sqlite', `  path: ${relative(configDir, path)}`],
    }
  }
  const type = engines[scheme]
  const connect = { type, url: text } as SourceConfig
  if (envName) return { connect, lines: [`  type: ${type}`, `  url_env: ${envName}`] }
  const url = new URL(text)
  const hadPassword = url.password !== ''
  url.password = ''
  return {
    connect,
    lines: [
      `  type: ${type}`,
      `  url: ${url.toString()}`,
      ...(hadPassword
        ? [`  password_env: ${INIT_PASSWORD_ENV}   # export ${INIT_PASSWORD_ENV}=... before running`]
        : []),
    ],
  }
}

function exportName(table: string, taken: Set<string>): string {
  const parts = table.split('.')
  const plain = parts.length > 1 && ['public', 'dbo'].includes(parts[0]) ? parts.slice(1) : parts
  const base = plain.join('_').replace(/[^A-Za-z0-9_-]/g, '_') || 'export'
  let name = base
  for (let i = 2; taken.has(name); i++) name = `${base}_${i}`
  taken.add(name)
  return name
}

const yamlString = (s: string) => /^[A-Za-z0-9_.\/-]+$/.test(s) ? s : JSON.stringify(s)

async function exportBlock(source: Source, table: string, name: string): Promise<string[]> {
  const columns = await source.describe(source.selectAll(table))
  const lines = [`  - name: ${name}`, `    table: ${yamlString(table)}`]
  const overrides = columns.filter((c) => c.fidelity === 'unsupported')
  if (overrides.length) lines.push('    columns:')
  for (const c of overrides) {
    const comment = `# ${c.sourceType}: ${c.hint ?? 'no exact mapping'}`.replace(/\s+/g, ' ')
    if (c.suggestedOverride) lines.push(`      ${yamlString(c.name)}: "${c.suggestedOverride}"   ${comment}`)
    else lines.push(`      # ${yamlString(c.name)}: cannot be exported as is ${comment}`)
  }
  return lines
}

export const initCommand: Command = {
  name: 'init',
  summary: 'write a starter config from the live schema',
  usage: 'rivet init --source URL (or --source-env NAME) [--table T]... [-o FILE]',
  options: {
    source: { type: 'string' },
    'source-env': { type: 'string' },
    table: { type: 'string', short: 't', multiple: true },
    output: { type: 'string', short: 'o' },
  },
  async run({ values }) {
    const output = values.output as string | undefined
    const { connect, lines: sourceLines } = sourceFrom(values, dirname(resolve(output ?? 'rivet.yaml')))
    const source = await openSource(connect, (p) => resolve(p))
    let text: string
    try {
      const tables = (values.table as string[] | undefined) ?? await source.listTables()
      if (!tables.length) {
        throw configError(`init: ${source.target} has no tables; name one with --table`, 'USAGE')
      }
      const taken = new Set<string>()
      const exports: string[] = []
      for (const table of tables) exports.push(...await exportBlock(source, table, exportName(table, taken)))
      text = [
        `# Written by rivet ${VERSION} init from ${source.engine} at ${source.target}.`,
        '# Review it, then: rivet check -c <this file> && rivet run -c <this file>',
        'source:',
        ...sourceLines,
        '',
        'destination:',
        '  type: local',
        '  path: ./out',
        '',
        'exports:',
        ...exports,
        '',
      ].join('\n')
    } finally {
      await source.close()
    }
    if (!output) {
      return {
        text: text.trimEnd(),
        document: { rivet_version: VERSION, config: text } satisfies InitDocument,
      }
    }
    await writeFile(output, text, { flag: 'wx' }).catch((error) => {
      const code = (error as { code?: string }).code
      throw configError(
        code === 'EEXIST'
          ? `init: ${output} already exists; remove it or choose another -o`
          : `init: cannot write ${output}: ${code}`,
        'USAGE',
      )
    })
    const document: InitDocument = { rivet_version: VERSION, config: text, file: output }
    return { text: `wrote ${output}`, document }
  },
}
