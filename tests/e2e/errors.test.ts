/**
 * Every error a user can hit in a run, driven through the CLI under Bun, Deno and the binary:
 * the exit code from the spec, one error line that says what and where, the `--json` error
 * document, and nothing left in the destination.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { join } from 'node:path'
import { errorDocumentSchema, runDocumentSchema } from '../../src/cli/documents.ts'
import { type ExpectedError, expectRunError, rivet, type Runtime } from '../helpers/cli.ts'
import { listFiles, tempDir, writeConfig } from '../helpers/files.ts'
import { pgExec } from '../helpers/pg.ts'

const PG = 'postgres://postgres@127.0.0.1:5432/test'

beforeAll(async () => {
  await pgExec(`
    drop table if exists rivet_e2e_small;
    create table rivet_e2e_small (id int primary key, total numeric, label text);
    insert into rivet_e2e_small select i, i * 1.5, 'row ' || i from generate_series(1, 100) i;
  `)
})

interface Case extends ExpectedError {
  name: string
  yaml: (out: string) => string
  env?: Record<string, string>
  args?: string[]
  /** Text that must not appear anywhere in the output (a planted secret). */
  secret?: string
}

const exportBlock = (out: string, extra = '') => `
destination: { type: local, path: ${out} }
exports:
  - name: small
    table: rivet_e2e_small
    columns: { total: "decimal(20,2)" }
${extra}`

const cases: Case[] = [
  {
    name: 'malformed YAML names the line and column',
    yaml: () => 'source:\n  type: postgres\n  url: [unclosed\n',
    exit: 2,
    code: 'CONFIG_YAML',
    message: /rivet\.yaml:\d+:\d+: invalid YAML/,
  },
  {
    name: 'an unknown key gets a did-you-mean',
    yaml: (out) => `source:\n  type: postgres\n  url: ${PG}\n  hots: x\n${exportBlock(out)}`,
    exit: 2,
    code: 'CONFIG_INVALID',
    message: /rivet\.yaml:4:3: unknown key "hots" in source; did you mean "host"\?/,
  },
  {
    name: 'an unresolved ${var} is named',
    yaml: (out) => `source:\n  type: postgres\n  url: \${RIVET_TEST_UNSET_URL}\n${exportBlock(out)}`,
    exit: 2,
    code: 'CONFIG_UNRESOLVED_VARIABLE',
    message: /rivet\.yaml:3:8: \$\{RIVET_TEST_UNSET_URL\} is not set: pass -p RIVET_TEST_UNSET_URL=\.\.\./,
  },
  {
    name: 'a missing password variable is named',
    yaml: (out) =>
      `source:\n  type: postgres\n  host: 127.0.0.1\n  user: postgres\n  database: test\n  password_env: RIVET_TEST_UNSET_PW\n${
        exportBlock(out)
      }`,
    exit: 2,
    code: 'CONFIG_MISSING_ENV',
    message: /source\.password_env names the environment variable RIVET_TEST_UNSET_PW, which is not set/,
  },
  {
    name: 'an unreachable host names host and port, not the password',
    yaml: (out) => `source:\n  type: postgres\n  url_env: RIVET_TEST_URL\n${exportBlock(out)}`,
    env: { RIVET_TEST_URL: 'postgres://postgres:hunter2-planted@127.0.0.1:1/test' },
    exit: 3,
    code: 'SOURCE_UNREACHABLE',
    message: /cannot connect to PostgreSQL at 127\.0\.0\.1:1\/test: connection refused/,
    secret: 'hunter2-planted',
  },
  {
    name: 'bad SQL is a source error',
    yaml: (out) =>
      `source:\n  type: postgres\n  url: ${PG}\ndestination: { type: local, path: ${out} }\nexports:\n  - name: bad\n    query: selec 1\n`,
    exit: 3,
    code: 'SOURCE_QUERY',
    message: /PostgreSQL at 127\.0\.0\.1:5432\/test: syntax error at or near "selec"/,
  },
  {
    name: 'a missing table is a source error',
    yaml: (out) =>
      `source:\n  type: postgres\n  url: ${PG}\ndestination: { type: local, path: ${out} }\nexports:\n  - name: gone\n    table: no_such_table_here\n`,
    exit: 3,
    code: 'SOURCE_QUERY',
    message: /relation "no_such_table_here" does not exist/,
  },
  {
    name: 'numeric without precision names the override to use',
    yaml: (out) =>
      `source:\n  type: postgres\n  url: ${PG}\ndestination: { type: local, path: ${out} }\nexports:\n  - name: small\n    table: rivet_e2e_small\n`,
    exit: 3,
    code: 'UNSUPPORTED_TYPE',
    message:
      /column "total" \(numeric\): numeric without precision: add an override, e\.g\. columns: \{ total: "decimal\(38,9\)" \}/,
  },
  {
    name: 'an unknown role is an auth error',
    yaml: (out) =>
      `source:\n  type: postgres\n  url: postgres://no_such_role_x@127.0.0.1:5432/test\n${exportBlock(out)}`,
    exit: 4,
    code: 'AUTH_FAILED',
    message: /rejected the login: role "no_such_role_x" does not exist/,
  },
  {
    name: 'a rejected password is an auth error that does not show the password',
    yaml: (out) =>
      `source:\n  type: postgres\n  host: 127.0.0.1\n  user: rivet_pw\n  database: test\n  password_env: RIVET_TEST_PW\n${
        exportBlock(out)
      }`,
    env: { RIVET_TEST_PW: 'wrong-planted-password' },
    exit: 4,
    code: 'AUTH_FAILED',
    message: /password authentication failed for user "rivet_pw"/,
    secret: 'wrong-planted-password',
  },
  {
    name: 'an unknown export name in -e is a usage error',
    yaml: (out) => `source:\n  type: postgres\n  url: ${PG}\n${exportBlock(out)}`,
    args: ['-e', 'smal'],
    exit: 2,
    code: 'USAGE',
    message: /-e smal: no such export in .*rivet\.yaml; did you mean "small"\?/,
  },
]

const runtimes: Runtime[] = ['bun', 'deno', 'binary']

describe.each(runtimes)('run errors on %s', (runtime) => {
  for (const c of cases) {
    test(c.name, async () => {
      const dir = tempDir()
      const out = join(dir, 'out')
      const config = writeConfig(dir, c.yaml(out))
      const result = await rivet(['run', '-c', config, '--json', ...(c.args ?? [])], { runtime, env: c.env })
      const doc = expectRunError(result, c)
      expect(doc.status === undefined ? errorDocumentSchema.parse(doc) : runDocumentSchema.parse(doc))
        .toBeTruthy()
      expect(listFiles(dir).filter((f) => f !== 'rivet.yaml')).toEqual([])
      if (c.secret) expect(result.stdout + result.stderr).not.toContain(c.secret)
    })
  }
})
