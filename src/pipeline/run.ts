/**
 * Running one export end to end: plan, stream source -> encoder -> parts -> destination, then
 * the manifest. Any failure or interruption removes the parts this run wrote and writes no
 * manifest, so a run leaves either everything or nothing.
 */
import type { LoadedConfig } from '../config/load.ts'
import { resolvePath } from '../config/load.ts'
import type { ExportConfig } from '../config/schema.ts'
import type { Destination } from '../destinations/destination.ts'
import { openDestination } from '../destinations/open.ts'
import { authError } from '../errors.ts'
import type { Logger } from '../log/logger.ts'
import { formatBytes, showProgress } from '../log/progress.ts'
import type { Source } from '../sources/source.ts'
import { buildManifest, manifestPath } from './manifest.ts'
import { qualityError, qualityObserver } from './quality.ts'
import { planExport } from './plan.ts'
import { newRunId } from './run-id.ts'
import { openPartSink } from './sink.ts'

/** Rows and bytes per batch pulled from the source. */
const BATCH_LIMITS = { rows: 10_000, bytes: 8 * 1024 * 1024 }

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

/** Runs one export. `signal` aborts it (SIGINT/SIGTERM). */
export async function runExport(
  loaded: LoadedConfig,
  exp: ExportConfig,
  source: Source,
  logger: Logger,
  signal: AbortSignal,
): Promise<ExportResult> {
  const resolve = (p: string) => resolvePath(loaded, p)
  const startedAt = new Date()
  const runId = newRunId(startedAt)
  const plan = await planExport(exp, source, resolve)
  const destination = openDestination(
    (exp.destination ?? loaded.config.destination)!,
    { export: exp.name, run_id: runId, date: startedAt.toISOString().slice(0, 10) },
    resolve,
    logger,
  )
  logger.info(`export ${exp.name}: starting`, { run_id: runId, destination: destination.location })
  logger.debug(`export ${exp.name}: query`, { query: plan.query })

  const parts = openPartSink(
    destination,
    exp,
    plan,
    (index, ext) => `${exp.name}-${runId}-${String(index).padStart(5, '0')}.${ext}`,
  )
  const quality = qualityObserver(exp, plan.columns)
  await checkCredentialExpiry(destination, logger)
  await destination.check()
  const estimate = await source.estimateRows(plan.query).catch(() => undefined)
  const stopProgress = showProgress(exp.name, parts.totals, estimate)
  let manifestWritten = false
  try {
    await source.read({ query: plan.query, columns: plan.columns }, BATCH_LIMITS).pipeTo(
      new WritableStream({
        write: (batch) => {
          quality?.observe(batch)
          return parts.write(batch)
        },
      }),
      { signal },
    )
    const written = await parts.finish()
    const failures = quality?.failures() ?? []
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
      parts: written,
      failures,
    })
    const manifestFile = destination.singleStream ? null : manifestPath(runId)
    if (manifestFile) {
      await destination.put(manifestFile, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'))
    }
    manifestWritten = true
    if (failures.length) throw qualityError(exp.name, runId, failures)
    stopProgress()
    const duration = Date.now() - startedAt.getTime()
    logger.info(
      `export ${exp.name}: ${manifest.rows} rows in ${written.length} part(s), ${
        formatBytes(manifest.bytes)
      }`,
      { run_id: runId, duration_ms: duration },
    )
    return {
      name: exp.name,
      run_id: runId,
      status: 'succeeded',
      rows: manifest.rows,
      bytes: manifest.bytes,
      parts: written.length,
      location: destination.location,
      manifest: manifestFile,
      duration_ms: duration,
    }
  } catch (error) {
    stopProgress()
    // Parts a written manifest lists stay: committed, or the evidence of a failed quality rule.
    if (!manifestWritten) await parts.abort(error)
    // Whatever broke while stopping on a signal, the signal is the cause the user needs to see.
    throw signal.aborted ? signal.reason : error
  }
}
