/**
 * The run manifest: written after every data part, it is what makes a part real. Readers and
 * `validate` trust only parts a committed manifest lists. Its shape is docs/schemas/manifest.schema.json.
 */
import { z } from 'zod'
import { VERSION } from '../version.ts'
import { type Column, typeName } from '../types/output.ts'
import type { PartRecord } from './parts.ts'
import { RUN_ID_PATTERN } from './run-id.ts'

/** Version of the manifest's shape; bumped on any incompatible change. */
export const MANIFEST_VERSION = 1

/** A part as manifests (and chunk checkpoints) list it. */
export const partSchema = z.strictObject({
  path: z.string().describe("the part's path relative to the export's directory (where _rivet/ is)"),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
})

const failureSchema = z.strictObject({
  rule: z.enum(['row_count_min', 'row_count_max', 'null_ratio_max', 'unique_columns', 'reconcile'])
    .describe(
      'a quality rule, or reconcile (rivet run --reconcile: the source count against the rows exported)',
    ),
  column: z.string().nullable().describe('the column the rule is about; null for row counts'),
  measured: z.number().describe('what the run measured: rows, a NULL ratio, or duplicate values'),
  limit: z.number().describe("the rule's bound"),
  message: z.string(),
})

/** A quality rule that failed, as a failed manifest lists it. */
export type QualityFailure = z.infer<typeof failureSchema>

/** The manifest's shape; docs/schemas/manifest.schema.json is generated from it. */
export const manifestSchema = z.strictObject({
  manifest_version: z.literal(MANIFEST_VERSION),
  rivet_version: z.string(),
  export: z.string(),
  run_id: z.string().regex(RUN_ID_PATTERN),
  mode: z.string(),
  status: z.enum(['succeeded', 'failed']),
  started_at: z.iso.datetime(),
  finished_at: z.iso.datetime(),
  source: z.strictObject({ engine: z.string(), query: z.string() }),
  cursor: z.strictObject({ column: z.string(), from: z.string().nullable(), to: z.string().nullable() })
    .nullable()
    .describe('the cursor range this run covered (incremental modes), else null'),
  format: z.enum(['parquet', 'csv']),
  compression: z.string(),
  columns: z.array(z.strictObject({
    name: z.string(),
    source_type: z.string(),
    output_type: z.string(),
    nullable: z.boolean(),
  })),
  rows: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  parts: z.array(partSchema),
  failures: z.array(failureSchema).optional().describe(
    'the quality rules that failed (status failed); the parts are kept for inspection but are not committed',
  ),
}).describe('rivet run manifest: written after all data parts; only parts listed here are real')

/** A run manifest. */
export type Manifest = z.infer<typeof manifestSchema>

/** Where a run's manifest lives, relative to the export's directory. */
export function manifestPath(runId: string): string {
  return `_rivet/runs/${runId}.json`
}

/** Builds a manifest from what a run did. */
export function buildManifest(run: {
  exportName: string
  runId: string
  mode: string
  status: Manifest['status']
  startedAt: Date
  finishedAt: Date
  engine: string
  query: string
  format: Manifest['format']
  compression: string
  columns: Column[]
  parts: PartRecord[]
  /** The range of the cursor (or time) column the run covered. */
  cursor?: Manifest['cursor']
  /** Quality rules that failed; given, they go into the manifest. */
  failures?: QualityFailure[]
}): Manifest {
  return {
    manifest_version: MANIFEST_VERSION,
    rivet_version: VERSION,
    export: run.exportName,
    run_id: run.runId,
    mode: run.mode,
    status: run.status,
    started_at: run.startedAt.toISOString(),
    finished_at: run.finishedAt.toISOString(),
    source: { engine: run.engine, query: run.query },
    cursor: run.cursor ?? null,
    format: run.format,
    compression: run.compression,
    columns: run.columns.map((c) => ({
      name: c.name,
      source_type: c.sourceType,
      output_type: typeName(c.type),
      nullable: c.nullable,
    })),
    rows: run.parts.reduce((n, p) => n + p.rows, 0),
    bytes: run.parts.reduce((n, p) => n + p.bytes, 0),
    parts: run.parts,
    ...(run.failures?.length ? { failures: run.failures } : {}),
  }
}
