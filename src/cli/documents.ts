/**
 * The shapes of `--json` documents. docs/schemas/*.schema.json are generated from these by
 * `bun scripts/schemas.ts`, and tests pin both the files and real output against them.
 */
import { z } from 'zod'
import { stateSchema } from '../pipeline/state.ts'

/** The error member every failed command's document carries. */
export const errorSchema = z.strictObject({
  code: z.string().describe('stable machine-readable code, e.g. CONFIG_INVALID, AUTH_FAILED, AUTH_EXPIRED'),
  exit: z.number().int().describe('the process exit code'),
  message: z.string().describe('one line: what failed, where, and what to do next'),
})

const columnPlan = z.strictObject({ name: z.string(), source_type: z.string(), output_type: z.string() })

const exportResult = z.strictObject({
  name: z.string(),
  run_id: z.string(),
  status: z.literal('succeeded'),
  rows: z.number().int(),
  bytes: z.number().int(),
  parts: z.number().int(),
  location: z.string().describe("where the export's files went (directory, bucket/prefix, or stdout)"),
  manifest: z.string().nullable().describe('the manifest path relative to location; null for stdout'),
  duration_ms: z.number().int(),
  drift: z.array(z.string()).optional().describe(
    'changes of the output columns since the last run that on_schema_drift (or --accept-drift) let through',
  ),
})

/** `rivet run --json`. */
export const runDocumentSchema = z.union([
  z.strictObject({
    rivet_version: z.string(),
    status: z.enum(['succeeded', 'failed']),
    exports: z.array(exportResult).describe('exports committed by this run (on failure: those before it)'),
    error: errorSchema.optional(),
  }),
  z.strictObject({
    rivet_version: z.string(),
    status: z.literal('dry-run'),
    exports: z.array(z.strictObject({
      name: z.string(),
      query: z.string(),
      format: z.string(),
      compression: z.string(),
      columns: z.array(columnPlan),
    })),
  }),
]).describe('rivet run --json')

/** `rivet check --json`. */
export const checkDocumentSchema = z.strictObject({
  rivet_version: z.string(),
  status: z.enum(['succeeded', 'failed']),
  exports: z.array(z.strictObject({
    name: z.string(),
    query: z.string(),
    estimated_rows: z.number().nullable(),
    columns: z.array(z.strictObject({
      name: z.string(),
      source_type: z.string(),
      output_type: z.string().nullable(),
      fidelity: z.enum(['exact', 'lossy', 'unsupported']),
      nullable: z.boolean(),
      override: z.string().optional(),
      hint: z.string().optional(),
    })),
    drift: z.strictObject({
      since: z.string().nullable().describe('the run whose schema is compared; null for an accepted schema'),
      changes: z.array(z.string()).describe(
        'each change of the output columns, e.g. "removed note (string)"',
      ),
      refused: z.boolean().describe('whether on_schema_drift would stop a run (exit 6)'),
    }).optional().describe('the output columns against the schema in the state; absent before the first run'),
    capture: z.strictObject({
      setting: z.string().describe('the server setting CDC needs, e.g. "wal_level = logical"'),
      fix: z.string().nullable().describe('the exact change to make; null when the server is ready'),
      slot: z.string(),
      slot_state: z.strictObject({
        active: z.boolean().describe('a process reads the slot now'),
        retained_bytes: z.number().describe('WAL the server keeps for the slot'),
        lag_bytes: z.number().describe("WAL written since the slot's confirmed position"),
        confirmed: z.string().nullable().describe('the confirmed position (LSN)'),
      }).nullable().describe('null before the first run creates the slot'),
      over_max_slot_lag: z.boolean().describe('the slot keeps more WAL than max_slot_lag: every run warns'),
    }).optional().describe("mode: cdc only: whether the server is ready, and the export's slot"),
  })),
  error: errorSchema.optional(),
}).describe('rivet check --json')

/** `rivet init --json`. */
export const initDocumentSchema = z.strictObject({
  rivet_version: z.string(),
  config: z.string().describe('the config text written'),
  file: z.string().optional().describe('where it was written (-o); absent when printed'),
}).describe('rivet init --json')

const doctorStep = z.strictObject({
  name: z.string().describe('credentials | reach | write | delete | connect | configure'),
  ok: z.boolean(),
  detail: z.string().optional().describe('what was found, or what failed and what to do'),
  code: z.string().optional().describe('the error code when the step failed'),
})

/** `rivet doctor --json`. */
export const doctorDocumentSchema = z.strictObject({
  rivet_version: z.string(),
  status: z.enum(['succeeded', 'failed']),
  source: z.strictObject({ steps: z.array(doctorStep) }),
  destinations: z.array(z.strictObject({
    name: z.string().describe('where the block is in the config'),
    type: z.string(),
    location: z.string().nullable(),
    steps: z.array(doctorStep),
  })),
  error: errorSchema.optional(),
}).describe('rivet doctor --json')

/** `rivet state show --json` and `rivet state reset --json`. */
export const stateDocumentSchema = z.strictObject({
  rivet_version: z.string(),
  action: z.enum(['show', 'reset', 'accept-schema']),
  exports: z.array(z.strictObject({
    name: z.string(),
    location: z.string().describe("where the export's state is kept"),
    state: stateSchema.nullable().describe('the state (before a reset); null when there is none'),
  })),
})

/** `rivet validate --json`. */
/** `rivet history --json`. */
export const historyDocumentSchema = z.strictObject({
  rivet_version: z.string(),
  exports: z.array(z.strictObject({
    name: z.string(),
    location: z.string().describe("where the export's manifests were looked for"),
    runs: z.array(z.strictObject({
      run_id: z.string(),
      status: z.enum(['succeeded', 'failed']).describe(
        'failed: a quality rule or --reconcile failed (exit 6)',
      ),
      mode: z.string(),
      started_at: z.iso.datetime(),
      finished_at: z.iso.datetime(),
      duration_s: z.number().describe('finished_at - started_at, in seconds'),
      rows: z.number().int(),
      bytes: z.number().int(),
      parts: z.number().int(),
      failures: z.array(z.string()).describe("each failed rule's message; empty for a committed run"),
    })).describe('the runs that wrote a manifest, newest first (at most --limit)'),
    unreadable: z.array(z.string()).describe('manifests that could not be read, one line each'),
  })),
}).describe('rivet history --json')

export const validateDocumentSchema = z.strictObject({
  rivet_version: z.string(),
  status: z.enum(['succeeded', 'failed']).describe('failed when any export has a problem (exit 6)'),
  exports: z.array(z.strictObject({
    name: z.string(),
    location: z.string().describe("the run's directory, or where no committed run was found"),
    run_id: z.string().nullable().describe('the run validated; null when no committed run was found'),
    status: z.enum(['succeeded', 'failed']).nullable().describe(
      "the manifest's status; null without a manifest",
    ),
    rows: z.number().int().nullable().describe('total rows the manifest states'),
    bytes: z.number().int().nullable().describe('total bytes the manifest states'),
    parts: z.number().int().describe('parts the manifest lists'),
    parts_checked: z.number().int().describe('parts read back and compared (bytes, sha256)'),
    rows_counted: z.number().int().describe('parts whose rows were also counted from their bytes'),
    problems: z.array(z.strictObject({
      part: z.string().nullable().describe('the part path relative to location; null for the run as a whole'),
      message: z.string().describe('one line: export, run id, part and what differs'),
    })),
    notes: z.array(z.string()).describe('what was not checked and why'),
  })),
  error: errorSchema.optional(),
}).describe('rivet validate --json')

/** `rivet gc --json`. */
export const gcDocumentSchema = z.strictObject({
  rivet_version: z.string(),
  action: z.enum(['list', 'delete']).describe('delete with --delete: what is listed was removed'),
  older_than_s: z.number().int().describe('only garbage last written longer ago than this (--older-than)'),
  exports: z.array(z.strictObject({
    name: z.string(),
    location: z.string().describe("where the export's runs are; paths are relative to it"),
    orphans: z.array(z.strictObject({
      path: z.string(),
      run_id: z.string().describe('the run that wrote it and never committed it'),
      bytes: z.number().int(),
      modified: z.iso.datetime(),
    })).describe('data objects no manifest lists'),
    uploads: z.array(z.strictObject({
      path: z.string().describe('the object the upload would have made'),
      upload_id: z.string().describe('S3 upload id, or the temporary file of a local write'),
      run_id: z.string(),
      started: z.iso.datetime(),
    })).describe('incomplete uploads (S3 multipart uploads, local temporary files)'),
    kept: z.strictObject({
      recent: z.number().int().describe('garbage candidates younger than --older-than'),
      claimed: z.number().int().describe(
        'files of a run the state claims (a chunked checkpoint, a pending cursor)',
      ),
    }),
    removed: z.number().int().describe('objects removed and uploads aborted (0 without --delete)'),
    notes: z.array(z.string()).describe('what could not be looked at, and why'),
  })),
  error: errorSchema.optional(),
}).describe('rivet gc --json')

/** `rivet version --json`. */
export const versionDocumentSchema = z.strictObject({
  rivet_version: z.string(),
  commit: z.string().describe('the short commit a binary was built from; dev when run from source'),
  target: z.string().nullable().describe(
    'the Bun target a binary was compiled for, e.g. bun-linux-x64-musl; null from source',
  ),
  runtime: z.string().describe('the runtime executing rivet, e.g. bun 1.4.5 (a binary embeds Bun)'),
}).describe('rivet version --json')

/** Any command's failure before it has a result: just the error. */
export const errorDocumentSchema = z.strictObject({ error: errorSchema }).describe('a failed command, --json')

/** Type of `rivet run --json`. */
export type RunDocument = z.infer<typeof runDocumentSchema>
/** Type of `rivet doctor --json`. */
export type DoctorDocument = z.infer<typeof doctorDocumentSchema>
/** Type of `rivet init --json`. */
export type InitDocument = z.infer<typeof initDocumentSchema>
/** Type of `rivet check --json`. */
export type CheckDocument = z.infer<typeof checkDocumentSchema>
/** Type of `rivet state --json`. */
export type StateDocument = z.infer<typeof stateDocumentSchema>
/** Type of `rivet history --json`. */
export type HistoryDocument = z.infer<typeof historyDocumentSchema>
/** Type of `rivet validate --json`. */
export type ValidateDocument = z.infer<typeof validateDocumentSchema>
/** Type of `rivet gc --json`. */
export type GcDocument = z.infer<typeof gcDocumentSchema>
/** Type of `rivet version --json`. */
export type VersionDocument = z.infer<typeof versionDocumentSchema>
