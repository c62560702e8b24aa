/**
 * The folders of src/ show the pipeline, and imports only run down it: cli -> pipeline -> sources
 * and destinations -> auth and formats -> log, config, types and http (with errors.ts and
 * version.ts) -> runtime. Folders of one layer may use each other only without a cycle. This
 * reads every import in src/ and fails on an arrow that runs up, or on any import cycle.
 */
import { describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { ROOT } from '../helpers/cli.ts'

const SRC = join(ROOT, 'src')

/** Layer of each top-level folder (or file) of src/: lower numbers are higher up. */
const LAYERS: Record<string, number> = {
  cli: 0,
  pipeline: 1,
  sources: 2,
  destinations: 2,
  auth: 3,
  formats: 3,
  log: 4,
  config: 4,
  types: 4,
  http: 4,
  'errors.ts': 4,
  'version.ts': 4,
  runtime: 5,
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** The src/ files a file imports (static and dynamic imports, type-only ones too). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1])
  return specifiers.map((s) => resolve(dirname(file), s))
}

const top = (file: string) => relative(SRC, file).split('/')[0]

const graph = new Map(files(SRC).map((file) => [file, importsOf(file)]))

describe('src/ layers', () => {
  test('every top-level folder has a layer', () => {
    expect(readdirSync(SRC).filter((name) => !(name in LAYERS))).toEqual([])
  })

  test('no import runs from a lower layer up to a higher one', () => {
    const upward: string[] = []
    for (const [file, imports] of graph) {
      for (const target of imports) {
        if (LAYERS[top(target)] < LAYERS[top(file)]) {
          upward.push(`${relative(SRC, file)} -> ${relative(SRC, target)}`)
        }
      }
    }
    expect(upward).toEqual([])
  })

  test('no import cycle', () => {
    const cycles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(SRC, f)).join(' -> '))
        return
      }
      state.set(file, 'open')
      for (const target of graph.get(file) ?? []) visit(target, [...path, file])
      state.set(file, 'done')
    }
    for (const file of graph.keys()) visit(file, [])
    expect(cycles).toEqual([])
  })

  test('the test sees the arrows it judges', () => {
    // A parser that found no imports would pass the tests above on any tree.
    const run = graph.get(join(SRC, 'pipeline', 'run.ts'))!
    expect(run).toContain(join(SRC, 'pipeline', 'modes', 'chunked.ts'))
    expect([...graph.values()].flat().length).toBeGreaterThan(500)
  })
})
