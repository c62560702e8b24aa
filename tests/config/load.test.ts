/** Config loading: positions in errors, ${var} resolution, strict keys, cross-field rules. */
import { describe, expect, test } from 'bun:test'
import { parseConfig } from '../../src/config/load.ts'
import { RivetError } from '../../src/errors.ts'

const base = 'destination: { type: local, path: out }\nexports:\n  - name: a\n    table: t\n'

function fails(text: string, vars: Record<string, string> = {}): RivetError {
  try {
    parseConfig(text, 'r.yaml', (n) => vars[n])
  } catch (error) {
    expect(error).toBeInstanceOf(RivetError)
    expect((error as RivetError).exit).toBe(2)
    return error as RivetError
  }
  throw new Error('expected a config error')
}

describe('config', () => {
  test('a valid file gets defaults and keeps values', () => {
    const { config } = parseConfig(
      `source:\n  type: sqlite\n  path: db.sqlite\n${base}`,
      'r.yaml',
      () => undefined,
    )
    // The export carries the destination it writes to: here the top-level one.
    expect(config.exports[0]).toEqual({
      name: 'a',
      table: 't',
      mode: 'full',
      format: 'parquet',
      destination: { type: 'local', path: 'out' },
    })
    expect(config.source).toEqual({ type: 'sqlite', path: 'db.sqlite' })
  })

  test('${var} takes -p first, then the environment; $${ is a literal', () => {
    const vars: Record<string, string> = { DB: 'from-param' }
    const { config } = parseConfig(
      `source:\n  type: sqlite\n  path: \${DB}/x-$\${KEEP}\n${base}`,
      'r.yaml',
      (n) => vars[n],
    )
    expect(config.source).toEqual({ type: 'sqlite', path: 'from-param/x-${KEEP}' })
  })

  test('errors carry file:line:col and a hint', () => {
    expect(fails(`source:\n  type: sqlite\n  path: x\n  paht: y\n${base}`).message).toBe(
      'r.yaml:4:3: unknown key "paht" in source; did you mean "path"?',
    )
    expect(fails(`source:\n  type: sqlit\n  path: x\n${base}`).message).toBe(
      'r.yaml:2:9: source.type is "sqlit"; expected one of "postgres", "mysql", "sqlserver", "sqlite"; did you mean "sqlite"?',
    )
    expect(fails(`source:\n  type: sqlite\n  path: \${NOPE}\n${base}`).message).toBe(
      'r.yaml:3:9: ${NOPE} is not set: pass -p NOPE=... or export NOPE',
    )
    expect(fails('source: {type: sqlite, path: x}\nexports:\n  - name: a\n    table: t\n').message).toBe(
      'r.yaml:3:5: exports[0]: has no destination: add a top-level destination or one on the export',
    )
    expect(fails(`source:\n  type: sqlite\n  path: x\n  path: y\n${base}`).message).toMatch(
      /^r\.yaml:4:3: invalid YAML: Map keys must be unique/,
    )
    expect(fails(`source:\n  type: sqlite\n  path: x\n${base}    query: select 1\n`).message).toBe(
      'r.yaml:6:5: exports[0]: give exactly one of table, query or query_file',
    )
    expect(
      fails(`source:\n  type: sqlite\n  path: x\n${base}    format: csv\n    compression: snappy\n`).message,
    )
      .toBe('r.yaml:9:18: exports[0].compression: csv files take none, gzip or zstd')
  })

  test('a password inside a url is refused', () => {
    expect(fails(`source:\n  type: postgres\n  url: postgres://u:pw@h/db\n${base}`).message).toContain(
      'source.url: must not contain a password',
    )
  })

  test('export names are unique and well-formed', () => {
    const twice = `source: {type: sqlite, path: x}\n${base}  - name: a\n    table: u\n`
    expect(fails(twice).message).toBe('r.yaml:6:11: exports[1].name: "a" is used by two exports')
    expect(fails(`source: {type: sqlite, path: x}\n${base.replace('name: a', 'name: a b')}`).message)
      .toContain(
        'exports[0].name: may contain only letters, digits, _ and -',
      )
  })
})
