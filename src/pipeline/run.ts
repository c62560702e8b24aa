/**
 * Running one export end to end: plan, stream source -> encoder -> parts -> destination, then
 * the manifest, then the state. Any failure or interruption removes the parts of the slice it
 * hit and writes no manifest, so a run leaves everything or nothing; a chunked run keeps the
 * chunks it committed for `--resume`. What differs between modes lives in modes/.
 */
import { type LoadedConfig, resolvePath } from '../config/load.ts'
import type { ExportConfig } from '../config/schema.ts'
import type { Destination } from '../destinations/destination.ts'
import { openDestination } from '../destinations/open.ts'
import { authError, RivetError } from '../errors.ts'
import type { Logger } from '../log/logger.ts'
import { formatBytes, showProgress } from '../log/progress.ts'
import { type ColumnRange, narrowQuery, type Source } from '../sources/source.ts'
import { checkDrift, compareSchemas, describeChange, recordSchema } from './drift.ts'
import { buildManifest, manifestPath, type QualityFailure } from './manifest.ts'
import { chunkedMode } from './modes/chunked.ts'
import { fullMode } from './modes/full.ts'
import { incrementalMode } from './modes/incremental.ts'
import { cdcMode } from './modes/cdc.ts'
import type { Mode, ModeName, ModeRead } from './modes/mode.ts'
import { timeWindowMode } from './modes/time-window.ts'
import { type ExportPlan, planExport } from './plan.ts'
import { qualityError, QualityObserver } from './quality.ts'
import { newRunId } from './run-id.ts'
import { exportPlace, findRuns } from './runs.ts'
import { openStateStore } from './state-place.ts'
import { StateSession } from './state.ts'
import { RunWriter } from './writer.ts'

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
  /** Changes of the output columns since the last run that `on_schema_drift` let through. */
  drift?: string[]
}

/** How `rivet run` was asked to run. */
export interface RunOptions {
  /** `--resume`: continue the interrupted chunked run from its checkpoint. */
  resume: boolean
  /** `--reconcile`: count the rows the source has in the range read and compare. */
  reconcile: boolean
  /** `--accept-drift`: a schema that differs from the last run's is the new baseline. */
  acceptDrift?: boolean
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

/** Each mode's module, by name. */
const MODES: { [M in ModeName]: Mode<M> } = {
  full: fullMode,
  incremental: incrementalMode,
  chunked: chunkedMode,
  time_window: timeWindowMode,
  cdc: cdcMode,
}

/**
 * Runs one export: plan, state, destination, writer, mode, manifest, commit. `signal` aborts it
 * (SIGINT/SIGTERM).
 */
export async function runExport(
  loaded: LoadedConfig,
  exp: ExportConfig,
  source: Source,
  logger: Logger,
  signal: AbortSignal,
  options: RunOptions,
): Promise<ExportResult> {
  const plan = await planExport(exp, source, loaded)
  // MODES pairs each name with its module, so the module takes the plan's settings.
  const mode = MODES[plan.mode.mode] as Mode
  // Every mode keeps its output schema in the state; the modes that keep more get the session.
  const session = await StateSession.open(openStateStore(loaded, exp, logger), plan.name)
  const drift = checkDrift(
    plan.name,
    session.state.schema,
    plan.output,
    plan.onSchemaDrift,
    options.acceptDrift ?? false,
    logger,
  )
  const state = mode.keepsState ? session : undefined
  const resume = state && mode.resumable?.(state.state, options.resume, plan, logger)
  const startedAt = resume ? new Date(resume.started_at) : new Date()
  const runId = resume ? resume.run_id : newRunId(startedAt)

  const destination = openDestination(
    plan.destination,
    { export: plan.name, run_id: runId, date: startedAt.toISOString().slice(0, 10) },
    (p) => resolvePath(loaded, p),
    logger,
  )
  logger.info(`export ${plan.name}: ${resume ? 'resuming' : 'starting'}`, {
    run_id: runId,
    mode: plan.mode.mode,
    destination: destination.location,
  })
  logger.debug(`export ${plan.name}: query`, { query: plan.query })
  await checkCredentialExpiry(destination, logger)
  await destination.check()

  const quality = plan.quality && new QualityObserver(plan.quality)
  const writer = new RunWriter(
    destination,
    plan,
    runId,
    startedAt,
    resume?.next_part ?? 0,
    quality ? [quality] : [],
  )
  const estimate = await source.estimateRows(plan.query).catch(() => undefined)
  const stopProgress = showProgress(plan.name, writer.totals, estimate)
  let manifestWritten = false
  let read: ModeRead | undefined
  try {
    read = await mode.read({
      plan,
      settings: plan.mode,
      source,
      openSource: options.openSource,
      writer,
      state,
      resume,
      runId,
      startedAt,
      committed: async (id) => (await findRuns(exportPlace(loaded, exp, logger), id)).runIds.includes(id),
      logger,
      signal,
    })
    const parts = read.parts

    const failures = quality?.failures() ?? []
    if (options.reconcile) {
      // The parts, not this process's totals: a resumed run wrote only some of them.
      const exported = parts.reduce((n, p) => n + p.rows, 0)
      const failure = await reconcile(source, plan, read.range, exported + read.alreadyExported)
      if (failure) failures.push(failure)
    }
    const manifest = buildManifest({
      exportName: plan.name,
      runId,
      mode: plan.mode.mode,
      status: failures.length ? 'failed' : 'succeeded',
      startedAt,
      finishedAt: new Date(),
      engine: source.engine,
      query: plan.query,
      format: plan.formatName,
      compression: plan.compression,
      columns: plan.output,
      parts,
      cursor: read.cursor,
      failures,
    })
    const manifestFile = destination.singleStream ? null : manifestPath(runId)
    if (manifestFile) {
      await destination.put(manifestFile, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'))
    }
    manifestWritten = true
    // A failed rule leaves the cursor where it was; a claim made for this run is dropped.
    if (failures.length) {
      if (read.commit) await state!.save({ ...state!.state, pending: undefined, checkpoint: undefined })
      throw qualityError(plan.name, runId, failures)
    }
    const schema = recordSchema(plan.output, runId)
    if (read.commit) await session.save({ ...read.commit(session.state), schema })
    else if (compareSchemas(session.state.schema?.columns ?? [], schema.columns).length) {
      // Only a changed schema is written: runs of a mode without state need not take turns.
      await session.save({ ...session.state, schema })
    }
    await read.finish?.(true)
    stopProgress()
    const duration = Date.now() - startedAt.getTime()
    logger.info(
      `export ${plan.name}: ${manifest.rows} rows in ${parts.length} part(s), ${formatBytes(manifest.bytes)}`,
      { run_id: runId, duration_ms: duration },
    )
    return {
      name: plan.name,
      run_id: runId,
      status: 'succeeded',
      rows: manifest.rows,
      bytes: manifest.bytes,
      parts: parts.length,
      location: destination.location,
      manifest: manifestFile,
      duration_ms: duration,
      ...(drift.length ? { drift: drift.map(describeChange) } : {}),
    }
  } catch (error) {
    stopProgress()
    await read?.finish?.(false).catch(() => {})
    // Parts a written manifest lists stay: committed, or the evidence of a failed quality rule.
    // A chunked run keeps its committed chunks for --resume; any other run leaves nothing.
    if (!manifestWritten && !mode.keepsPartsOnFailure) {
      for (const part of writer.written) await destination.remove(part.path).catch(() => {})
    }
    const failure = signal.aborted ? signal.reason : error
    if (failure instanceof RivetError) failure.runId ??= runId
    throw failure
  }
}
