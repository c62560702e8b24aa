/**
 * The shape every mode has: what it reads (the whole query, a window, the rows past a cursor,
 * chunks) and how the run commits it (the state it leaves once the manifest is written). A run
 * (pipeline/run.ts) is the same sequence for every mode; only this part differs.
 */
import type { Logger } from '../../log/logger.ts'
import type { ColumnRange, Source } from '../../sources/source.ts'
import type { Manifest } from '../manifest.ts'
import type { PartRecord } from '../parts.ts'
import type { ExportPlan, ModePlan } from '../plan.ts'
import type { Checkpoint, ExportState, StateSession } from '../state.ts'
import type { RunWriter } from '../writer.ts'

/** A mode's name. */
export type ModeName = ModePlan['mode']

/** The planned settings of mode `M` (its column, chunk size, window). */
export type ModeSettings<M extends ModeName> = Extract<ModePlan, { mode: M }>

/** What a mode is given to read its rows. */
export interface ModeRun<M extends ModeName = ModeName> {
  plan: ExportPlan
  settings: ModeSettings<M>
  source: Source
  /** Opens another connection to the source, for parallel chunks. */
  openSource: () => Promise<Source>
  writer: RunWriter
  /** The export's state, for the modes that keep one. */
  state: StateSession | undefined
  /** The interrupted run this one continues (`--resume`). */
  resume: Checkpoint | undefined
  runId: string
  startedAt: Date
  /** Whether run `runId` of this export wrote its manifest (settles a claim a crash left). */
  committed: (runId: string) => Promise<boolean>
  logger: Logger
  signal: AbortSignal
}

/** What a mode read, for the manifest and the commit. */
export interface ModeRead {
  parts: PartRecord[]
  cursor: Manifest['cursor']
  /** The range read, for `--reconcile` (the whole query without one). */
  range: ColumnRange | undefined
  /** Rows read that an earlier run exported: not written again, but counted by the source. */
  alreadyExported: number
  /** The state once the manifest is written; undefined when the run leaves the state alone. */
  commit: ((state: ExportState) => ExportState) | undefined
  /**
   * Called once the run has saved its state (`committed`) or failed: a change feed tells the
   * server how far it may discard its log only then, and closes.
   */
  finish?: (committed: boolean) => Promise<void>
}

/** A way of running an export. */
export interface Mode<M extends ModeName = ModeName> {
  /** Whether the mode keeps a state (cursor, checkpoint) between runs. */
  readonly keepsState: boolean
  /** Whether a failed run keeps the parts it committed (for `--resume`); else all are removed. */
  readonly keepsPartsOnFailure: boolean
  /**
   * The interrupted run to continue, from the state (`resume` is `--resume`); logs what it
   * finds. Undefined: a new run.
   */
  resumable?(state: ExportState, resume: boolean, plan: ExportPlan, logger: Logger): Checkpoint | undefined
  /** Reads the rows into parts. */
  read(run: ModeRun<M>): Promise<ModeRead>
}
