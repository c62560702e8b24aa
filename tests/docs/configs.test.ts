/**
 * Every config a user may copy is valid: each file in examples/ and each ```yaml block of
 * docs/*.md and README.md passes `rivet check --offline` (nothing is contacted; unset `${VARS}`
 * and `*_env` variables are listed, not errors).
 *
 * The convention for blocks in the docs, decided by their top-level keys:
 * - `source:`, `destination:` and/or `exports:` at the top: a config; what it leaves out is
 *   filled in (a PostgreSQL source, a local destination, one export) and the result checked, so a
 *   block may show only the part it is about.
 * - `type:` at the top: one block: a source block when the type is a source engine, else a
 *   destination block, checked inside such a minimal config.
 * - anything else (a Kubernetes manifest, a GitHub workflow) is not a rivet config and is skipped.
 * A block that is not valid YAML fails. Paths a doc block names (`*_file` keys, a SQLite `path`) are
 * illustrations, so they are created empty (absolute ones under the block's temporary directory)
 * before the check; examples/ are checked in place, so every file they name must exist.
 */
import { describe, expect, test } from 'bun:test'
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, isAbsolute, join } from 'node:path'
import { parse, stringify } from 'yaml'
import { rivet, ROOT } from '../helpers/cli.ts'
import { tempDir } from '../helpers/files.ts'

const SOURCE_TYPES = ['postgres', 'mysql', 'sqlserver', 'sqlite']

/** A ```yaml block: where it is and its text. */
interface Block {
  where: string
  text: string
}

function yamlBlocks(): Block[] {
  const files = [
    join(ROOT, 'README.md'),
    ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f)),
  ]
  return files.flatMap((file) => {
    const lines = readFileSync(file, 'utf8').split('\n')
    const blocks: Block[] = []
    for (let i = 0; i < lines.length; i++) {
      if (!/^\s*```ya?ml\s*$/.test(lines[i])) continue
      const start = i + 1
      const indent = lines[i].indexOf('`')
      while (++i < lines.length && !/^\s*```\s*$/.test(lines[i]));
      const text = lines.slice(start, i).map((l) => l.slice(indent)).join('\n')
      blocks.push({ where: `${file.slice(ROOT.length + 1)}:${start}`, text })
    }
    return blocks
  })
}

/** The whole config a doc block stands for, or undefined when it is not a rivet config. */
function wholeConfig(text: string): string | undefined {
  const doc = parse(text) as Record<string, unknown> | null
  if (!doc || typeof doc !== 'object') return undefined
  const minimal = {
    source: { type: 'postgres', url: 'postgres://rivet@127.0.0.1:5432/rivet' },
    destination: { type: 'local', path: 'out' },
    exports: [{ name: 'doc_block', table: 'public.customers' }],
  }
  if ('source' in doc || 'destination' in doc || 'exports' in doc) return stringify({ ...minimal, ...doc })
  if (typeof doc.type !== 'string') return undefined
  return stringify({ ...minimal, [SOURCE_TYPES.includes(doc.type) ? 'source' : 'destination']: doc })
}

/**
 * Creates, empty, the files a config names, so a doc block's illustrative paths exist: relative
 * ones beside the block's file, absolute ones (`/etc/rivet/sa.json`) under `dir`, where the
 * config is pointed instead.
 */
function anchorNamedFiles(dir: string, node: unknown): void {
  if (Array.isArray(node)) node.forEach((v) => anchorNamedFiles(dir, v))
  else if (node && typeof node === 'object') {
    const record = node as Record<string, unknown>
    for (const [k, v] of Object.entries(record)) {
      const sqlitePath = k === 'path' && record.type === 'sqlite'
      if ((k.endsWith('_file') || sqlitePath) && typeof v === 'string' && !v.includes('${')) {
        const path = isAbsolute(v) ? join(dir, 'absolute', v) : join(dir, v)
        mkdirSync(dirname(path), { recursive: true })
        writeFileSync(path, '')
        record[k] = path
      } else anchorNamedFiles(dir, v)
    }
  }
}

async function expectValid(file: string, where: string): Promise<void> {
  const result = await rivet(['check', '-c', file, '--offline', '--log-format', 'text'])
  expect({ where, code: result.code, stderr: result.stderr }).toEqual({ where, code: 0, stderr: '' })
  expect(result.stdout).toContain(': valid (offline: nothing was contacted)\n')
}

describe('configs users copy pass rivet check --offline', () => {
  const examples = readdirSync(join(ROOT, 'examples')).filter((f) => /\.ya?ml$/.test(f))

  test('examples/', async () => {
    // One per destination and mode the docs promise, besides the quickstart.
    for (const name of ['quickstart', 's3-profile', 's3-compatible', 'gcs-service-account', 'azure-sas']) {
      expect(examples).toContain(`${name}.yaml`)
    }
    for (const name of ['incremental', 'chunked', 'partitioned', 'cdc']) {
      expect(examples).toContain(`${name}.yaml`)
    }
    for (const name of examples) await expectValid(join(ROOT, 'examples', name), `examples/${name}`)
  })

  test('```yaml blocks in docs/*.md and README.md', async () => {
    const blocks = yamlBlocks()
    const configs = blocks.map((b) => ({ ...b, config: wholeConfig(b.text) }))
      .filter((b): b is Block & { config: string } => b.config !== undefined)
    // The README's and docs' examples are there to be checked: a convention that skipped them
    // all would pass vacuously.
    expect(configs.length).toBeGreaterThanOrEqual(10)
    for (const block of configs) {
      const dir = tempDir('rivet-doc-block-')
      const config = parse(block.config)
      anchorNamedFiles(dir, config)
      const file = join(dir, 'rivet.yaml')
      writeFileSync(file, stringify(config))
      await expectValid(file, block.where)
    }
  })

  test('a broken block is caught: the check is not vacuous', async () => {
    const dir = tempDir('rivet-doc-block-')
    const file = join(dir, 'rivet.yaml')
    writeFileSync(file, wholeConfig('type: s3\nbucket: b\naws_profile: p\naccess_key_env: K\n')!)
    const result = await rivet(['check', '-c', file, '--offline'])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('aws_profile and access_key_env conflict')
  })
})
