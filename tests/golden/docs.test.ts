/**
 * docs/config.md and docs/cli.md match the schema and command definitions they are generated
 * from (`bun scripts/docs.ts`), and every config key and flag has a description to show there.
 */
import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { generatedDocs } from '../../scripts/docs.ts'
import { commands } from '../../src/cli/main.ts'
import { Exit } from '../../src/errors.ts'
import { ROOT } from '../helpers/cli.ts'

test('docs/config.md and docs/cli.md are up to date (run `bun scripts/docs.ts` after a change)', async () => {
  const missing: string[] = []
  const docs = await generatedDocs(missing)
  for (const [name, text] of Object.entries(docs)) {
    expect({ name, text: readFileSync(join(ROOT, 'docs', name), 'utf8') }).toEqual({ name, text })
  }
  expect(missing).toEqual([])

  // What the generated files must hold, checked on their text.
  for (const key of ['`aws_profile`', '`columns.<name>.zero_dates`', '`quality.unique_columns`', '`tls.ca_file`']) {
    expect(docs['config.md']).toContain(`| ${key}`)
  }
  expect(docs['config.md']).toMatch(/\| `format` +\| `parquet` \\\| `csv` +\| `"parquet"` +\| output file format/)
  for (const command of await commands()) {
    expect(docs['cli.md']).toContain(`## rivet ${command.name}\n`)
    expect(docs['cli.md']).toContain(command.usage)
  }
  for (const code of Object.values(Exit)) expect(docs['cli.md']).toMatch(new RegExp(`\\n\\| ${code} +\\| `))
  expect(docs['cli.md']).toMatch(/\| `--offline` +\| +\| flag +\| +\| check the config file alone/)
})
