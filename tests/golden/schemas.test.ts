/** The committed JSON Schemas in docs/schemas match the zod definitions they are generated from. */
import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { generatedSchemas } from '../../scripts/schemas.ts'
import { ROOT } from '../helpers/cli.ts'

test('docs/schemas is up to date (run `bun scripts/schemas.ts` after changing a shape)', () => {
  for (const [name, schema] of Object.entries(generatedSchemas())) {
    const committed = JSON.parse(readFileSync(join(ROOT, 'docs', 'schemas', `${name}.schema.json`), 'utf8'))
    expect({ name, schema: committed }).toEqual({ name, schema })
  }
})
