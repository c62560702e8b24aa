/**
 * The config loader fed generated documents: a valid config with random mutations (values of
 * every kind at every key, keys removed, unknown and misspelt keys, placeholders) and the same
 * text with random bytes changed. Whatever it is given, it loads or fails with a config error
 * (exit 2) of one line naming the file; it never throws anything else. Seeded (RIVET_FUZZ_SEED
 * replays a failure, whose seed and case the message prints) and bounded (RIVET_FUZZ_CASES,
 * default 400).
 */
import { expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { stringify } from 'yaml'
import { loadConfig } from '../../src/config/load.ts'
import { RivetError } from '../../src/errors.ts'
import { tempDir } from '../helpers/files.ts'
import { type Random, seeded } from '../helpers/seeded.ts'

const SEED = Number(process.env.RIVET_FUZZ_SEED ?? 0x5eed)
const CASES = Number(process.env.RIVET_FUZZ_CASES ?? 400)

/** A config that loads, touching most keys of the schema. */
function validConfig(): Record<string, unknown> {
  return {
    source: { type: 'postgres', url: 'postgres://u@127.0.0.1:5432/db', tls: { mode: 'require' } },
    destination: {
      type: 's3',
      bucket: 'b',
      prefix: 'exports/{export}/',
      endpoint: 'http://127.0.0.1:9000',
      access_key_env: 'K',
      secret_key_env: 'S',
      part_size: '16MB',
    },
    state: { type: 'local' },
    exports: [
      {
        name: 'orders',
        table: 'public.orders',
        mode: 'incremental',
        cursor_column: 'updated_at',
        format: 'parquet',
        compression: 'zstd',
        max_file_size: '256MB',
        meta_columns: ['exported_at', 'run_id'],
        partition_by: 'created_at',
        partition_granularity: 'day',
        quality: { row_count_min: 1, null_ratio_max: { email: 0.1 }, unique_columns: ['id'] },
      },
      {
        name: 'items',
        query: 'select * from items',
        mode: 'chunked',
        chunk_column: 'id',
        chunk_size: 1000,
        parallel: 2,
      },
    ],
  }
}

const STRANGE_STRINGS = [
  '',
  ' ',
  '${NOPE}',
  '${}',
  '${A',
  '0',
  '-1',
  '1e309',
  'NaN',
  'yes',
  'null',
  '~',
  '12XB',
  '256 MB',
  '1.5GB',
  '-5MB',
  '999999999999999999999TB',
  'x'.repeat(5000),
  'é日本🙂',
  '\u0000',
  'a\nb',
  '"quoted"',
  "'",
  '{export}/{date}/{run_id}',
  '../../etc/passwd',
  'postgres://u:secret@h/db',
  'mysql://',
  'http://',
  'duckdb',
  'PARQUET',
]

/** A value of any kind. */
function randomValue(r: Random, depth = 0): unknown {
  switch (r.int(depth > 2 ? 6 : 8)) {
    case 0:
      return null
    case 1:
      return r.pick([0, -1, 1, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 0.5, 1e308, -0])
    case 2:
      return r.next() < 0.5
    case 3:
    case 4:
    case 5:
      return r.pick(STRANGE_STRINGS)
    case 6:
      return Array.from({ length: r.int(3) }, () => randomValue(r, depth + 1))
    default:
      return Object.fromEntries(
        Array.from(
          { length: r.int(3) },
          () => [r.pick(['type', 'name', 'x', 'path', 'mode']), randomValue(r, depth + 1)],
        ),
      )
  }
}

/** Every object or array in `node` with the keys (or indexes) it holds. */
function containers(node: unknown, out: { holder: Record<string, unknown>; key: string }[] = []) {
  if (node && typeof node === 'object') {
    for (const key of Object.keys(node)) {
      out.push({ holder: node as Record<string, unknown>, key })
      containers((node as Record<string, unknown>)[key], out)
    }
  }
  return out
}

/** A valid config with 1-3 random changes. */
function mutated(r: Random): Record<string, unknown> {
  const config = validConfig()
  for (let n = 1 + r.int(3); n > 0; n--) {
    const spots = containers(config)
    const { holder, key } = r.pick(spots)
    switch (r.int(4)) {
      case 0:
        holder[key] = randomValue(r)
        break
      case 1:
        delete holder[key]
        break
      case 2:
        // A misspelt key: one letter doubled.
        if (!Array.isArray(holder)) {
          holder[key.replace(/[a-z]/, (c) => c + c)] = holder[key]
          delete holder[key]
        }
        break
      default:
        if (!Array.isArray(holder)) holder[r.pick(['unknown', 'extra_key', 'Type', ''])] = randomValue(r)
    }
  }
  return config
}

/** YAML text with a few bytes replaced, inserted or removed. */
function corrupted(r: Random, text: string): string {
  let out = text
  for (let n = 1 + r.int(4); n > 0; n--) {
    const at = r.int(out.length + 1)
    const piece = r.pick([
      ':',
      '-',
      '{',
      '}',
      '[',
      ']',
      '"',
      "'",
      '\t',
      '\n',
      ' ',
      '#',
      '&a',
      '*a',
      '!!int',
      '|',
      '${X}',
      '%',
    ])
    out = r.next() < 0.3 ? out.slice(0, at) + out.slice(at + 1) : out.slice(0, at) + piece + out.slice(at)
  }
  return out
}

test(
  `the config loader exits 2 with one line or loads, for ${CASES} generated documents (seed ${SEED})`,
  async () => {
    const r = seeded(SEED)
    const dir = tempDir()
    const file = join(dir, 'rivet.yaml')
    const outcomes = { loaded: 0, refused: 0 }
    for (let i = 0; i < CASES; i++) {
      const document = mutated(r)
      const text = r.next() < 0.3 ? corrupted(r, stringify(document)) : stringify(document)
      writeFileSync(file, text)
      const replay = `seed ${SEED}, case ${i} (RIVET_FUZZ_SEED=${SEED} replays it):\n${text}`
      try {
        await loadConfig(file, (name) => (name === 'K' || name === 'S' ? 'value' : undefined))
        outcomes.loaded++
      } catch (error) {
        if (!(error instanceof RivetError)) throw new Error(`${replay}\nthrew ${(error as Error).stack}`)
        if (error.exit !== 2 || error.message.includes('\n') || !error.message.includes(file)) {
          throw new Error(`${replay}\nexit ${error.exit}: ${error.message}`)
        }
        outcomes.refused++
      }
    }
    // Both outcomes occur: the generator neither only breaks documents nor never does.
    expect(outcomes.loaded).toBeGreaterThan(CASES / 50)
    expect(outcomes.refused).toBeGreaterThan(CASES / 4)
  },
  60_000,
)

// Found by seed 2, case 52: the YAML library throws a ReferenceError from toJS() for an alias
// whose anchor is missing, and rivet exited 1 ("internal error: Unresolved alias").
test('an alias without its anchor is a config error (exit 2), not an internal one', async () => {
  const file = join(tempDir(), 'rivet.yaml')
  writeFileSync(
    file,
    'source: { type: postgres, url: "postgres://u@h/db" }\ndestination: { type: local, path: ./out }\n' +
      'exports:\n  - name: *a\n    table: t\n',
  )
  const error = await loadConfig(file, () => undefined).then(() => undefined, (e) => e)
  expect(error).toBeInstanceOf(RivetError)
  expect(error.exit).toBe(2)
  expect(error.message).toBe(`${file}:4:11: invalid YAML: alias *a names no anchor (&a)`)
})
