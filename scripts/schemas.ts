/**
 * The JSON Schemas rivet documents, generated from the zod definitions in src: the config,
 * manifests and `--json` documents. `bun scripts/schemas.ts` rewrites docs/schemas/ after a
 * shape changes; tests/golden/schemas.test.ts fails when the committed files are out of date.
 */
import { writeFileSync } from 'node:fs'
import { z } from 'zod'
import {
  checkDocumentSchema,
  doctorDocumentSchema,
  errorDocumentSchema,
  gcDocumentSchema,
  historyDocumentSchema,
  initDocumentSchema,
  runDocumentSchema,
  stateDocumentSchema,
  validateDocumentSchema,
  versionDocumentSchema,
} from '../src/cli/documents.ts'
import { configJsonSchema } from '../src/config/schema.ts'
import { manifestSchema } from '../src/pipeline/manifest.ts'
import { stateSchema } from '../src/pipeline/state.ts'

/** File name (without .schema.json) -> JSON Schema. */
export function generatedSchemas(): Record<string, unknown> {
  return {
    config: configJsonSchema(),
    manifest: z.toJSONSchema(manifestSchema),
    'run-result': z.toJSONSchema(runDocumentSchema),
    'check-result': z.toJSONSchema(checkDocumentSchema),
    'init-result': z.toJSONSchema(initDocumentSchema),
    'doctor-result': z.toJSONSchema(doctorDocumentSchema),
    'validate-result': z.toJSONSchema(validateDocumentSchema),
    'gc-result': z.toJSONSchema(gcDocumentSchema),
    'history-result': z.toJSONSchema(historyDocumentSchema),
    state: z.toJSONSchema(stateSchema),
    'state-result': z.toJSONSchema(stateDocumentSchema),
    'version-result': z.toJSONSchema(versionDocumentSchema),
    error: z.toJSONSchema(errorDocumentSchema),
  }
}

if (import.meta.main) {
  for (const [name, schema] of Object.entries(generatedSchemas())) {
    const path = new URL(`../docs/schemas/${name}.schema.json`, import.meta.url).pathname
    writeFileSync(path, JSON.stringify(schema, null, 2) + '\n')
    console.log(`wrote ${path}`)
  }
}
