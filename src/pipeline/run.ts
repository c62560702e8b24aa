/**
 * Running one export end to end: plan, stream source -> encoder -> parts -> destination, then
 * the manifest, then the state. Any failure or interruption removes the parts of the slice it
 * hit and writes no manifest, so a run leaves everything or nothing; a chunked run keeps the
 * chunks it committed for `--resume`.
 */
import { type LoadedConfig, resolvePath } from '../config/load.ts'
import type { ExportConfig } from '../config/schema.ts'
import type { Destination } from '../destinations/destination.ts'
import { openDestination } from '../destinations/open.ts'
import { authError, configError } from '../errors.ts'
import type { Logger } from '../log/logger.ts'
import { formatBytes, showProgress } from '../log/progress.ts'
import { type ColumnRange, narrowQuery, type Source } from '../sources/source.ts'
import { typeName } from '../types/output.ts'
import type { ColumnBatch } from '../types/values.ts'
import { windowStart } from './bounds.ts'
import { runChunks } from './chunked.ts'
import { CursorTracker, skipExported } from './incremental.ts'
import { buildManifest, type Manifest, manifestPath, type QualityFailure } from './manifest.ts'
import type { PartRecord, PartTotals } from './parts.ts'
import { qualityError, qualityObserver } from './quality.ts'
import { openPartSink } from './sink.ts'
import { type ExportPlan, planExport } from './plan.ts'
import { newRunId } from './run-id.ts'
import { exportPlace, findRuns } from './runs.ts'
import { openStateStore } from './state-place.ts'
import { type CursorState, emptyState, type ExportState, type LoadedState, type StateStore } from './state.ts'

/**
 * Rows and bytes per batch pulled from the source. 2 MB rather than 8 keeps wide rows' batches
 * (and their CSV bytes) small: wide_text to CSV peaked at 146 instead of 204 MB RSS. Narrow rows
 * reach 5,000 rows first, at about 0.5 MB: 12 to 15 MB less peak RSS than 10,000 (PostgreSQL and
 * MariaDB to Parquet, 1M rows) for the same CPU. CSV records count only bytes.
 */
export const BATCH_LIMITS = { rows: 5_000, bytes: 2 * 1024 * 1024 }

/** What one export run did, as `--json` reports it. */
export interface ExportResult {
  name: string
  run_id: string
  status: 'succeeded'
  rows: number
  bytes: number
  parts: number
  location: string
  manifest: string | null
  duration_ms: number
}

/** How `rivet run` was asked to run. */
export interface RunOptions {
  /** `--resume`: continue the interrupted chunked run from its checkpoint. */
  resume: boolean
  /** `--reconcile`: count the rows the source has in the range read and compare. */
  reconcile: boolean
  /** Opens another connection to the source, for parallel chunks. */
  openSource: () => Promise<Source>
}

/** Warn when credentials expire within this long of the start of a run. */
const EXPIRY_WARNING_MS = 60 * 60_000

/**
 * Credentials that have already expired and cannot refresh end the run before any data moves;
 * ones that expire soon get a warning, since a long export may outlive them.
 */
async function checkCredentialExpiry(destination: Destination, logger: Logger): Promise<void> {
  const info = await destination.credentials()
  // Credentials rivet renews itself neither expire mid-run nor need a warning.
  if (!info?.expiresAt || info.refreshable) return
  const left = info.expiresAt.getTime() - Date.now()
  if (left <= 0) {
    throw authError(
      `credentials from ${info.source} expired at ${info.expiresAt.toISOString()}; ${
        info.renew ?? 'replace them with fresh ones'
      }`,
      'AUTH_EXPIRED',
    )
  }
  if (left < EXPIRY_WARNING_MS) {
    logger.warn(
      `credentials from ${info.source} expire in ${
        Math.round(left / 60_000)
      } min, maybe before this run ends`,
      {
        expires_at: info.expiresAt.toISOString(),
      },
    )
  }
}

/** Something that sees every batch before it is written. */
export interface BatchObserver {
  observe(batch: ColumnBatch): void
  /** Whether it reads the batch's values, not only its row count. */
  readonly readsValues: boolean
}

/** What every slice of a run writes with: the destination, the part names, the running totals. */
export class RunWriter {
  /** Rows and bytes of every slice so far, for progress. */
  readonly totals: PartTotals = { rows: 0, bytes: 0 }

  constructor(
    readonly destination: Destination,
    private readonly exp: ExportConfig,
    private readonly plan: ExportPlan,
    private readonly runId: string,
    /** The number of the next part: parts are numbered across the slices of a run. */
    public nextPart: number,
    /** See every batch before it is written (cursor tracking, quality rules). */
    private readonly observers: BatchObserver[] = [],
  ) {}

  /**
   * Reads one slice of the query (all of it without a range) into parts of its own; on failure
   * those parts are removed and the error rethrown.
   */
  async slice(
    source: Source,
    range: ColumnRange | undefined,
    signal: AbortSignal,
    filter?: TransformStream<ColumnBatch, ColumnBatch>,
  ): Promise<PartRecord[]> {
    const sink = openPartSink(
      this.destination,
      this.exp,
      this.plan,
      (_index, ext) => `${this.plan.name}-${this.runId}-${String(this.nextPart++).padStart(5, '0')}.${ext}`,
    )
    // CSV that nothing else reads may come as the source's own CSV records.
    const csv = this.plan.formatName === 'csv' && !filter && !this.exp.partition_by &&
      !this.observers.some((o) => o.readsValues)
    const rows = source.read({ query: this.plan.query, columns: this.plan.columns, range, csv }, BATCH_LIMITS)
    try {
      await (filter ? rows.pipeThrough(filter) : rows).pipeTo(
        new WritableStream({
          write: async (batch) => {
            for (const observer of this.observers) observer.observe(batch)
            const before = { ...sink.totals }
            await sink.write(batch)
            this.totals.rows += sink.totals.rows - before.rows
            this.totals.bytes += sink.totals.bytes - before.bytes
          },
        }),
        { signal },
      )
      return await sink.finish()
    } catch (error) {
      await sink.abort(error)
      // Whatever broke while stopping on a signal, the signal is the cause the user needs to see.
      throw signal.aborted ? signal.reason : error
    }
  }
}

/** The committed cursor, after settling a claim a crashed run left: kept if its manifest exists. */
async function settledState(
  loaded: LoadedConfig,
  exp: ExportConfig,
  logger: Logger,
  state: ExportState,
): Promise<ExportState> {
  const pending = state.pending
  if (!pending) return state
  const { runIds } = await findRuns(exportPlace(loaded, exp, logger), pending.run_id)
  const committed = runIds.includes(pending.run_id)
  logger.info(
    `export ${exp.name}: run ${pending.run_id} ${
      committed ? 'committed' : 'did not commit'
    } before it stopped; ` +
      `its cursor is ${committed ? 'kept' : 'dropped'}`,
  )
  return { ...state, cursor: committed ? pending.cursor : state.cursor, pending: undefined }
}

/** An incremental export's cursor state must be about the column the config names. */
function checkCursorState(
  exp: ExportConfig,
  plan: ExportPlan,
  cursor: CursorState | undefined,
  where: string,
) {
  const column = plan.rangeColumn!
  if (cursor && (cursor.column !== column.name || cursor.type !== typeName(column.type))) {
    throw configError(
      `export ${exp.name}: the state at ${where} has a cursor on ${cursor.column} (${cursor.type}), ` +
        `the config on ${column.name} (${
          typeName(column.type)
        }); run rivet state reset -e ${exp.name} to start over`,
      'STATE_MISMATCH',
    )
  }
}

/**
 * `--reconcile`: the source's count of the rows in the range read against the rows the run read.
 * Counted after the export, so rows written meanwhile show up as a difference: the source moved.
 */
async function reconcile(
  source: Source,
  plan: ExportPlan,
  range: ColumnRange | undefined,
  rows: number,
): Promise<QualityFailure | undefined> {
  const { sql, params } = narrowQuery(plan.query, range, source.dialect)
  const [[count]] = await source.queryText(`select count(*) from (${sql}) as rivet_count`, params)
  const counted = Number(count)
  if (counted === rows) return undefined
  return {
    rule: 'reconcile',
    column: null,
    measured: rows,
    limit: counted,
    message: `reconcile: the source counts ${counted} rows in what this run read, the run exported ${rows}`,
  }
}

/** Runs one export. `signal` aborts it (SIGINT/SIGTERM). */
export async function runExport(
  loaded: LoadedConfig,
  exp: ExportConfig,
  source: Source,
  logger: Logger,
  signal: AbortSignal,
  options: RunOptions,
): Promise<ExportResult> {
  const plan = await planExport(exp, source, loaded)
  const rangeColumn = plan.rangeColumn
  const store: StateStore | undefined = exp.mode === 'incremental' || exp.mode === 'chunked'
    ? openStateStore(loaded, exp, logger)
    : undefined
  const loadedState: LoadedState = store
    ? await store.load(exp.name)
    : { state: undefined, version: undefined }
  let state = loadedState.state ?? emptyState(exp.name)
  let version = loadedState.version

  const checkpoint = exp.mode === 'chunked' ? state.checkpoint : undefined
  if (checkpoint && !options.resume) {
    logger.warn(
      `export ${exp.name}: run ${checkpoint.run_id} was interrupted; starting a new run (rivet run --resume would continue it)`,
    )
  }
  const resuming = options.resume && checkpoint !== undefined
  if (resuming && exp.quality) {
    logger.warn(
      `export ${exp.name}: quality rules measure only the chunks this resumed run exports, not those committed before`,
    )
  }
  if (options.resume && exp.mode === 'chunked' && !checkpoint) {
    logger.info(`export ${exp.name}: no interrupted run to resume; starting a new one`)
  }
  const startedAt = resuming ? new Date(checkpoint!.started_at) : new Date()
  const runId = resuming ? checkpoint!.run_id : newRunId(startedAt)
  const destination = openDestination(
    (exp.destination ?? loaded.config.destination)!,
    { export: exp.name, run_id: runId, date: startedAt.toISOString().slice(0, 10) },
    (p) => resolvePath(loaded, p),
    logger,
  )
  logger.info(`export ${exp.name}: ${resuming ? 'resuming' : 'starting'}`, {
    run_id: runId,
    mode: exp.mode,
    destination: destination.location,
  })
  logger.debug(`export ${exp.name}: query`, { query: plan.query })
  await checkCredentialExpiry(destination, logger)
  await destination.check()

  const observers: BatchObserver[] = []
  const quality = qualityObserver(exp, plan.columns)
  if (quality) observers.push(quality)
  const writer = new RunWriter(destination, exp, plan, runId, resuming ? checkpoint!.next_part : 0, observers)
  const estimate = await source.estimateRows(plan.query).catch(() => undefined)
  const stopProgress = showProgress(exp.name, writer.totals, estimate)
  let parts: PartRecord[] = []
  let manifestWritten = false
  try {
    let cursor: Manifest['cursor'] = null
    /** The range read, for --reconcile (chunked runs read the whole query). */
    let read: ColumnRange | undefined
    /** Rows read that an earlier run had exported: not written again, but counted by the source. */
    let alreadyExported = 0
    let commit: ((state: ExportState) => ExportState) | undefined
    if (exp.mode === 'incremental') {
      state = await settledState(loaded, exp, logger, state)
      checkCursorState(exp, plan, state.cursor, store!.where(exp.name))
      const index = plan.columns.indexOf(rangeColumn!)
      const previous = state.cursor
      const tracker = new CursorTracker(plan.columns, index, previous)
      observers.push(tracker)
      const skip = previous ? skipExported(plan.columns, index, previous) : undefined
      read = previous ? { column: rangeColumn!, from: previous.value } : undefined
      parts = await writer.slice(source, read, signal, skip?.stream)
      alreadyExported = skip?.skipped() ?? 0
      const position = tracker.position()
      cursor = { column: rangeColumn!.name, from: previous?.value ?? null, to: position?.value ?? null }
      if (position && writer.totals.rows > 0) {
        const next: CursorState = {
          column: rangeColumn!.name,
          type: typeName(rangeColumn!.type),
          ...position,
          run_id: runId,
        }
        commit = (s) => ({ ...s, cursor: next, pending: undefined })
        // Claimed before the manifest: of two runs at once, only the one that claims first commits.
        version = await store!.save({ ...state, pending: { run_id: runId, cursor: next } }, version)
      }
    } else if (exp.mode === 'chunked') {
      const result = await runChunks({
        exp,
        plan,
        column: rangeColumn!,
        source,
        openSource: options.openSource,
        writer,
        store: store!,
        state,
        version,
        resume: resuming ? checkpoint : undefined,
        runId,
        startedAt,
        logger,
        signal,
      })
      parts = result.parts
      state = result.state
      version = result.version
      commit = (s) => ({ ...s, checkpoint: undefined })
    } else {
      const from = exp.mode === 'time_window'
        ? windowStart(rangeColumn!.type, exp.days_window!, startedAt)
        : undefined
      if (from !== undefined) cursor = { column: rangeColumn!.name, from, to: null }
      parts = await writer.slice(
        source,
        from !== undefined ? { column: rangeColumn!, from } : undefined,
        signal,
      )
    }

    const failures = quality?.failures() ?? []
    if (options.reconcile) {
      // The parts, not this process's totals: a resumed run wrote only some of them.
      const exported = parts.reduce((n, p) => n + p.rows, 0)
      const failure = await reconcile(source, plan, read, exported + alreadyExported)
      if (failure) failures.push(failure)
    }
    const manifest = buildManifest({
      exportName: exp.name,
      runId,
      mode: exp.mode,
      status: failures.length ? 'failed' : 'succeeded',
      startedAt,
      finishedAt: new Date(),
      engine: source.engine,
      query: plan.query,
      format: plan.formatName,
      compression: plan.compression,
      columns: plan.columns,
      parts,
      cursor,
      failures,
    })
    const manifestFile = destination.singleStream ? null : manifestPath(runId)
    if (manifestFile) {
      await destination.put(manifestFile, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'))
    }
    manifestWritten = true
    // A failed rule leaves the cursor where it was; a claim made for this run is dropped.
    if (failures.length) {
      if (commit) await store!.save({ ...state, pending: undefined, checkpoint: undefined }, version)
      throw qualityError(exp.name, runId, failures)
    }
    if (commit) await store!.save(commit(state), version)
    stopProgress()
    const duration = Date.now() - startedAt.getTime()
    logger.info(
      `export ${exp.name}: ${manifest.rows} rows in ${parts.length} part(s), ${formatBytes(manifest.bytes)}`,
      { run_id: runId, duration_ms: duration },
    )
    return {
      name: exp.name,
      run_id: runId,
      status: 'succeeded',
      rows: manifest.rows,
      bytes: manifest.bytes,
      parts: parts.length,
      location: destination.location,
      manifest: manifestFile,
      duration_ms: duration,
    }
  } catch (error) {
    stopProgress()
    // Parts a written manifest lists stay: committed, or the evidence of a failed quality rule.
    // A chunked run keeps its committed chunks for --resume; any other run leaves nothing.
    if (!manifestWritten && exp.mode !== 'chunked') {
      for (const part of parts) await destination.remove(part.path).catch(() => {})
    }
    throw signal.aborted ? signal.reason : error
  }
}
