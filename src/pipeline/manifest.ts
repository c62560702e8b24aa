/**
 * The run manifest: written after every data part, it is what makes a part real. Readers and
 * `validate` trust only parts a committed manifest lists. Its shape is docs/schemas/manifest.schema.json.
 */
import { VERSION } from '../version.ts'
import { type Column, typeName } from '../types/output.ts'
import type { PartRecord } from './parts.ts'

/** Version of the manifest's shape; bumped on any incompatible change. */
export const MANIFEST_VERSION = 1

/** A run manifest. */
export interface Manifest {
  manifest_version: number
  rivet_version: string
  export: string
  run_id: string
  mode: string
  status: 'succeeded' | 'failed'
  started_at: string
  finished_at: string
  source: { engine: string; query: string }
  cursor: { column: string; from: string | null; to: string | null } | null
  format: string
  compression: string
  columns: { name: string; source_type: string; output_type: string; nullable: boolean }[]
  rows: number
  bytes: number
  parts: PartRecord[]
}

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
  format: string
  compression: string
  columns: Column[]
  parts: PartRecord[]
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
    cursor: null,
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
  }
}
