/**
 * Two more independent Parquet readers, besides hyparquet and DuckDB (tests/helpers/parquet.ts):
 * Apache Arrow's Go implementation (its parquet_reader command, built by scripts/services.sh) and
 * arrow-rs (the parquet-wasm package), whose Arrow IPC apache-arrow decodes. Each is pinned: the
 * Go module by version in services.sh, the npm packages exactly in package.json.
 */
import { type Table, tableFromIPC } from 'apache-arrow'
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { readParquet } from 'parquet-wasm'

/** Where scripts/services.sh caches parquet_reader (`go install` of arrow-go v18.9.0). */
export const GO_PARQUET_READER = join(
  process.env.RIVET_TEST_BIN ?? join(homedir(), '.cache', 'rivet-test-bin'),
  'parquet_reader',
)

function goReader(args: string[]): string {
  const result = spawnSync(GO_PARQUET_READER, args, { encoding: 'utf8', maxBuffer: 1 << 28 })
  if (result.status !== 0) {
    throw new Error(`parquet_reader ${args.join(' ')}: ${result.stderr}${result.error ?? ''}`)
  }
  return result.stdout
}

/**
 * Leaf column path (`a` or `a.list.element`) -> its type as arrow-go states it:
 * `PHYSICAL` or `PHYSICAL/CONVERTED`, the converted type derived from the logical type it read.
 */
export function arrowGoTypes(path: string): Record<string, string> {
  const types: Record<string, string> = {}
  for (const m of goReader(['--only-metadata', path]).matchAll(/^Column \d+: (\S+) \((.+)\)$/gm)) {
    types[m[1]] = m[2]
  }
  return types
}

/**
 * One leaf column's values as arrow-go's CSV dump prints them, every row group in order: a
 * slot per value or NULL (a list's elements flattened; an empty or NULL list is one NULL slot).
 * Quoted text is unquoted (Go's %q); NULL is null; numbers and booleans stay as printed. Column
 * 0 must hold no NULL: it is dumped alongside, since a NULL alone would print an empty line.
 */
export function arrowGoColumn(path: string, leaf: number): (string | null)[] {
  const out: (string | null)[] = []
  const lines = goReader(['--csv', '--no-metadata', `--columns=0,${leaf}`, path]).split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]
    // Each row group starts with the quoted column paths and ends with an empty line.
    if (line === '' || (i === 0 || lines[i - 1] === '') && line.startsWith('"')) continue
    // "<col 0>,<value>"; once column 0 has ended (a list's longer stream), ",,<value>".
    const value = line.startsWith(',,') ? line.slice(2) : line.slice(line.indexOf(',') + 1)
    out.push(value.startsWith('"') ? unquoteGo(value) : value === '' ? null : value)
  }
  return out
}

/** Go's %q of a string: JSON's escapes plus \x.., \a, \v and \U........ */
function unquoteGo(quoted: string): string {
  const json = quoted.replace(/\\x([0-9a-f]{2})/g, '\\u00$1').replace(/\\a/g, '\\u0007').replace(
    /\\v/g,
    '\\u000b',
  )
    .replace(
      /\\U([0-9a-f]{8})/g,
      (_, hex) => JSON.stringify(String.fromCodePoint(parseInt(hex, 16))).slice(1, -1),
    )
  return JSON.parse(json)
}

/** Reads a Parquet file with arrow-rs (parquet-wasm) into an apache-arrow Table. */
export function readWithArrowRs(path: string): Table {
  return tableFromIPC(readParquet(new Uint8Array(readFileSync(path))).intoIPCStream())
}

/** Column name -> the Arrow type arrow-rs gives it, e.g. `Int8`, `Timestamp<MICROSECOND, UTC>`. */
export function arrowTypes(table: Table): Record<string, string> {
  return Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]))
}

/**
 * A column's values as apache-arrow returns them, except 64-bit times and timestamps, which it
 * turns into float milliseconds: those come as the stored bigints.
 */
export function arrowColumn(table: Table, name: string): unknown[] {
  const vector = table.getChild(name)!
  const out: unknown[] = []
  for (const data of vector.data) {
    const raw = data.values instanceof BigInt64Array ? data.values : undefined
    for (let i = 0; i < data.length; i++) {
      const value = vector.get(out.length)
      out.push(value === null ? null : raw ? raw[data.offset + i] : value)
    }
  }
  return out
}
