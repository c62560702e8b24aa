/**
 * Export state: the committed cursor of an incremental export and the checkpoint of a chunked
 * run in progress. One small JSON object per export, read with its version and written only if
 * nobody changed it since (a conditional write), so two runs of one export at the same moment
 * cannot both commit. Its shape carries `state_version`; older shapes are migrated on read.
 */
import { Buffer } from 'node:buffer'
import { z } from 'zod'
import type { Destination } from '../destinations/destination.ts'
import { destinationError, RivetError } from '../errors.ts'
import { recordedSchemaSchema } from './drift.ts'
import { partSchema } from './manifest.ts'
import { RUN_ID_PATTERN } from './run-id.ts'

/**
 * Version of the state's shape; bumped on any incompatible change, with a migration. 2 added
 * `schema`: a rivet that knows only 1 then says to upgrade instead of refusing an unknown key.
 */
export const STATE_VERSION = 2

const cursorSchema = z.strictObject({
  column: z.string(),
  type: z.string().describe('output type of the cursor column, e.g. timestamptz'),
  value: z.string().describe('the highest cursor value exported, as bound text'),
  boundary: z.array(z.string()).describe(
    'fingerprints of the exported rows whose cursor equals value: the next run reads from value ' +
      'inclusive and skips these, so rows sharing the last value are neither lost nor repeated',
  ),
  run_id: z.string().regex(RUN_ID_PATTERN),
})

const chunkSchema = z.strictObject({
  from: z.string().optional(),
  below: z.string().optional(),
  nulls: z.boolean().optional(),
})

const checkpointSchema = z.strictObject({
  run_id: z.string().regex(RUN_ID_PATTERN),
  started_at: z.iso.datetime(),
  column: z.string(),
  chunk_size: z.number().int().positive(),
  chunks: z.array(chunkSchema),
  done: z.record(z.string(), z.array(partSchema)).describe('parts of each committed chunk, by chunk index'),
  next_part: z.number().int().nonnegative(),
})

const pendingSchema = z.strictObject({
  run_id: z.string().regex(RUN_ID_PATTERN),
  cursor: cursorSchema,
})

const captureSchema = z.strictObject({
  slot: z.string(),
  position: z.string().regex(/^[0-9A-F]{16}$/).optional().describe(
    'every change up to here is in committed parts (an LSN as 16 hex digits, like _rivet_position); the ' +
      'next run reads from here. Absent while the first run, which made the slot, has not committed',
  ),
  run_id: z.string().regex(RUN_ID_PATTERN).describe('the run that committed the position, or made the slot'),
})

/** The state of one export; docs/schemas/state.schema.json is generated from it. */
export const stateSchema = z.strictObject({
  state_version: z.literal(STATE_VERSION),
  export: z.string(),
  updated_at: z.iso.datetime(),
  cursor: cursorSchema.optional().describe('committed cursor of an incremental export'),
  pending: pendingSchema.optional().describe(
    'a cursor claimed by a run that was about to write its manifest: it becomes the cursor if that ' +
      "run's manifest exists, and is dropped if not",
  ),
  checkpoint: checkpointSchema.optional().describe('a chunked run in progress, for --resume'),
  capture: captureSchema.optional().describe('where a cdc export has read its slot to'),
  schema: recordedSchemaSchema.optional().describe(
    'the output schema of the last committed run (or the accepted one): the next run compares against it',
  ),
}).describe('rivet export state')

/** The state of one export. */
export type ExportState = z.infer<typeof stateSchema>
/** A committed cursor. */
export type CursorState = z.infer<typeof cursorSchema>
/** A chunked run's checkpoint. */
export type Checkpoint = z.infer<typeof checkpointSchema>
/** How far a cdc export has read its slot. */
export type CaptureState = z.infer<typeof captureSchema>

/** Migrations from each older `state_version` to the next. */
const MIGRATIONS: Record<number, (old: Record<string, unknown>) => Record<string, unknown>> = {
  // 2 only added the optional `schema`.
  1: (old) => ({ ...old, state_version: 2 }),
}

/** Parses a state file, migrating older shapes; `where` names it in errors. */
export function parseState(bytes: Uint8Array, where: string): ExportState {
  let data: Record<string, unknown>
  try {
    data = JSON.parse(new TextDecoder().decode(bytes))
  } catch {
    throw stateError(`${where} is not valid JSON; fix it or remove it with rivet state reset`)
  }
  let version = Number(data.state_version)
  if (version > STATE_VERSION) {
    throw stateError(`${where} has state_version ${version}, written by a newer rivet; upgrade rivet`)
  }
  while (version < STATE_VERSION && MIGRATIONS[version]) data = MIGRATIONS[version++](data)
  const parsed = stateSchema.safeParse(data)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw stateError(
      `${where} is not a rivet state file (${issue.path.join('.') || 'top'}: ${issue.message}); ` +
        'remove it with rivet state reset',
    )
  }
  return parsed.data
}

function stateError(message: string, code = 'STATE_INVALID'): RivetError {
  return destinationError(message, code)
}

/** Another run of the export committed first: this one must stop without committing. */
export function stateConflict(exportName: string, where: string): RivetError {
  return destinationError(
    `export ${exportName}: another run changed its state at ${where} while this one ran; ` +
      'this run committed nothing (its parts were removed); run it again',
    'STATE_CONFLICT',
  )
}

/** A state object read with its version, and where it lives. */
export interface LoadedState {
  state: ExportState | undefined
  /** The version a conditional write must match: undefined when there is no state yet. */
  version: string | undefined
}

/** Where export states live: a directory of a destination (local `.rivet/` or beside the data). */
export class StateStore {
  constructor(
    private readonly destination: Destination,
    /** The state object's path for an export, relative to the destination. */
    private readonly pathOf: (exportName: string) => string,
  ) {}

  /** Where an export's state is, for messages. */
  where(exportName: string): string {
    return `${this.destination.location}/${this.pathOf(exportName)}`
  }

  /** Reads an export's state and its version. */
  async load(exportName: string): Promise<LoadedState> {
    const found = await this.destination.readVersioned(this.pathOf(exportName))
    if (!found) return { state: undefined, version: undefined }
    return { state: parseState(found.bytes, this.where(exportName)), version: found.version }
  }

  /**
   * Writes an export's state if it is still at `version`; returns the new version, or throws
   * {@link stateConflict} when another run wrote it first.
   */
  async save(state: ExportState, version: string | undefined): Promise<string> {
    const body = new TextEncoder().encode(
      JSON.stringify({ ...state, updated_at: new Date().toISOString() }, null, 2) + '\n',
    )
    const path = this.pathOf(state.export)
    const next = await this.destination.putIfVersion(path, body, version)
    if (next !== undefined) return next
    // A write retried after its answer was lost finds its own first try there: that is ours.
    const found = await this.destination.readVersioned(path)
    if (found && Buffer.from(found.bytes).equals(body)) return found.version
    throw stateConflict(state.export, this.where(state.export))
  }

  /** Removes an export's state (`rivet state reset`). */
  async remove(exportName: string): Promise<void> {
    await this.destination.remove(this.pathOf(exportName))
  }
}

/** A fresh state for an export. */
export function emptyState(exportName: string): ExportState {
  return { state_version: STATE_VERSION, export: exportName, updated_at: new Date().toISOString() }
}

/**
 * One export's state during a run: what was loaded, and saves that each write on the version the
 * previous one left, so a run that another one overtook stops with {@link stateConflict}.
 */
export class StateSession {
  private constructor(
    private readonly store: StateStore,
    /** The state as last loaded or saved. */
    public state: ExportState,
    private version: string | undefined,
  ) {}

  /** Loads `exportName`'s state (a fresh one when there is none yet). */
  static async open(store: StateStore, exportName: string): Promise<StateSession> {
    const loaded = await store.load(exportName)
    return new StateSession(store, loaded.state ?? emptyState(exportName), loaded.version)
  }

  /** Where the state is, for messages. */
  get where(): string {
    return this.store.where(this.state.export)
  }

  /** Writes `next` if nobody else wrote since; it becomes the state. */
  async save(next: ExportState): Promise<void> {
    this.version = await this.store.save(next, this.version)
    this.state = next
  }
}
