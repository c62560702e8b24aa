/** The small commands: --version, help, schema (pinned to docs/schemas), check. */
import { beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { checkDocumentSchema, versionDocumentSchema } from '../../src/cli/documents.ts'
import { VERSION } from '../../src/version.ts'
import { errorLines, rivet, ROOT } from '../helpers/cli.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { pgExec } from '../helpers/pg.ts'

beforeAll(async () => {
  await pgExec(`
    drop table if exists rivet_cli_check;
    create table rivet_cli_check (id int not null, price numeric(10,2), raw numeric, at timestamptz, tz timetz);
    insert into rivet_cli_check select i, i, i, now(), now() from generate_series(1, 1000) i;
    analyze rivet_cli_check;
  `)
})

describe('commands', () => {
  test('--version and version --json from source: commit dev, no target, the runtime', async () => {
    const result = await rivet(['--version'])
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(
      new RegExp(`^rivet ${VERSION.replaceAll('.', '\\.')} \\(dev, bun \\d+\\.\\d+\\.\\d+\\)\\n$`),
    )
    const deno = await rivet(['--version'], { runtime: 'deno' })
    expect(deno.stdout).toMatch(/^rivet .* \(dev, deno \d+\.\d+\.\d+\)\n$/)
    const json = await rivet(['version', '--json'])
    expect(versionDocumentSchema.parse(JSON.parse(json.stdout))).toEqual({
      rivet_version: VERSION,
      commit: 'dev',
      target: null,
      runtime: expect.stringMatching(/^bun \d+\.\d+\.\d+$/),
    })
  })

  test('help lists the commands; help run shows its options; an unknown command suggests one', async () => {
    const help = await rivet(['help'])
    expect(help.code).toBe(0)
    for (const name of ['run', 'check', 'schema']) expect(help.stdout).toContain(`  ${name}`)
    const run = await rivet(['run', '-h'])
    expect(run.stdout).toContain('Usage: rivet run -c FILE')
    expect(run.stdout).toContain('--dry-run')
    const unknown = await rivet(['rnu'])
    expect(unknown.code).toBe(2)
    expect(errorLines(unknown.stderr)[0].msg).toBe(
      'unknown command "rnu"; did you mean "run"?; see rivet help',
    )
    const badFlag = await rivet(['run', '--nope'])
    expect(badFlag.code).toBe(2)
    expect(errorLines(badFlag.stderr)[0].msg).toMatch(/^run: Unknown option '--nope'/)
  })

  test('schema prints the committed config JSON Schema', async () => {
    const result = await rivet(['schema'])
    expect(result.code).toBe(0)
    expect(JSON.parse(result.stdout)).toEqual(
      JSON.parse(readFileSync(join(ROOT, 'docs', 'schemas', 'config.schema.json'), 'utf8')),
    )
  })

  test('check describes columns, fidelity and the estimate, names the fix, and writes nothing', async () => {
    const dir = tempDir()
    const file = writeConfig(
      dir,
      `source:\n  type: postgres\n  url: postgres://postgres@127.0.0.1:5432/test\ndestination: { type: local, path: ./out }\nexports:\n  - name: c\n    table: rivet_cli_check\n`,
    )
    const result = await rivet(['check', '-c', file, '--json'])
    expect(result.code).toBe(3)
    const doc = checkDocumentSchema.parse(JSON.parse(result.stdout))
    expect(doc.status).toBe('failed')
    expect(doc.exports[0].estimated_rows).toBe(1000)
    expect(doc.exports[0].columns.map((c) => [c.name, c.source_type, c.output_type, c.fidelity, c.nullable]))
      .toEqual([
        ['id', 'integer', 'int32', 'exact', false],
        ['price', 'numeric(10,2)', 'decimal(10,2)', 'exact', true],
        ['raw', 'numeric', null, 'unsupported', true],
        ['at', 'timestamp with time zone', 'timestamptz', 'exact', true],
        ['tz', 'time with time zone', null, 'unsupported', true],
      ])
    expect(doc.error?.message).toContain('2 column(s) cannot be exported exactly, first "raw"')
    expect(listFiles(dir)).toEqual(['rivet.yaml'])

    const fixed = writeConfig(
      dir,
      `source:\n  type: postgres\n  url: postgres://postgres@127.0.0.1:5432/test\ndestination: { type: local, path: ./out }\nexports:\n  - name: c\n    query: select id, raw from rivet_cli_check\n    columns: { raw: "decimal(38,9)" }\n`,
      'fixed.yaml',
    )
    const ok = await rivet(['check', '-c', fixed])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('c: ~1,000 rows')
    expect(ok.stdout).toMatch(/raw\s+numeric\s+-> decimal\(38,9\)\s+exact/)
  })
})

describe('completions', () => {
  test('bash completion is valid bash and offers every command and its flags', async () => {
    const result = await rivet(['completions', 'bash'])
    expect(result.code).toBe(0)
    const check = Bun.spawnSync(['bash', '-n'], { stdin: new TextEncoder().encode(result.stdout) })
    expect(check.exitCode).toBe(0)
    for (const name of ['run', 'check', 'doctor', 'init', 'schema']) {
      expect(result.stdout).toContain(` ${name}`)
    }
    expect(result.stdout).toContain(
      'run) opts="--log-level --log-format --json --help -h --config -c --export -e',
    )
  })

  test('zsh and fish scripts name every command; an unknown shell is a usage error', async () => {
    expect((await rivet(['completions', 'zsh'])).stdout).toContain("'doctor[")
    expect((await rivet(['completions', 'fish'])).stdout).toContain("-a init -d 'write a starter config")
    const bad = await rivet(['completions', 'tcsh'])
    expect(bad.code).toBe(2)
  })
})
