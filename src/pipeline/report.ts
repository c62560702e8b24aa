/**
 * What a `rivet run` reports about itself when it ends, whatever the outcome: the metrics of each
 * export it ran (`--metrics-file`, `metrics:`) and a message per event (`notifications:`).
 * Reporting never changes the run's exit code: a file that cannot be written, a Pushgateway or a
 * webhook that does not answer is logged.
 */
import type { RivetError } from '../errors.ts'
import { type Counts, snapshot } from '../log/counters.ts'
import type { Logger } from '../log/logger.ts'
import { type ExportMetrics, pushMetrics, writeMetricsFile } from './metrics.ts'
import type { Notification, Notifier, NotifyEvent } from './notify.ts'
import type { ExportResult } from './run.ts'

/** Where a run reports. */
export interface ReportSettings {
  /** `--metrics-file`. */
  metricsFile?: string
  /** `metrics:` in the config. */
  pushgateway?: { url: string; job: string }
  /** `notifications:` in the config. */
  notifier?: Notifier
}

/** Which event a failure is. */
function eventOf(error: RivetError): NotifyEvent {
  if (error.code === 'SCHEMA_DRIFT') return 'drift'
  if (error.code === 'QUALITY_FAILED') return 'quality'
  return 'failure'
}

/** The outcomes of the exports of one `rivet run`, as they happen, and reporting them at its end. */
export class RunReport {
  private readonly runs: ExportMetrics[] = []
  private readonly notifications: Notification[] = []
  private current: { name: string; started: number; counts: Counts } | undefined

  constructor(private readonly settings: ReportSettings, private readonly logger: Logger) {}

  /** An export starts. */
  start(name: string): void {
    this.current = { name, started: performance.now(), counts: snapshot() }
  }

  /** The export started last succeeded. */
  succeeded(result: ExportResult): void {
    if (result.drift) {
      this.notify({
        event: 'drift',
        export: result.name,
        runId: result.run_id,
        message: result.drift.join('; '),
      })
    }
    this.record(this.current!.name, 'succeeded', result)
  }

  /**
   * The run failed: the export under way, or, when none was (the source could not be opened),
   * every export that had not run yet.
   */
  failed(error: RivetError, names: string[]): void {
    const failed = this.current
      ? [this.current.name]
      : names.filter((n) => !this.runs.some((r) => r.export === n))
    // One message for the run, even when the source failed them all.
    if (failed.length) {
      this.notify({
        event: eventOf(error),
        export: failed.join(', '),
        runId: error.runId,
        message: error.message,
      })
    }
    for (const name of failed) {
      if (!this.current) this.start(name)
      this.record(name, 'failed')
    }
  }

  private notify(n: Notification): void {
    if (this.settings.notifier?.wants(n.event)) this.notifications.push(n)
  }

  private record(name: string, status: ExportMetrics['status'], result?: ExportResult): void {
    const started = this.current!
    const now = snapshot()
    this.runs.push({
      export: name,
      status,
      rows: result?.rows ?? 0,
      bytes: result?.bytes ?? 0,
      parts: result?.parts ?? 0,
      durationSeconds: (performance.now() - started.started) / 1000,
      finishedAt: new Date(),
      retries: now.retries - started.counts.retries,
      credentialRefreshes: now.credentialRefreshes - started.counts.credentialRefreshes,
    })
    this.current = undefined
  }

  /** Writes and pushes the metrics of every export recorded, and sends the notifications. */
  async finish(): Promise<void> {
    for (const n of this.notifications) await this.settings.notifier!.send(n)
    if (!this.runs.length) return
    const { metricsFile, pushgateway } = this.settings
    if (metricsFile) {
      await writeMetricsFile(metricsFile, this.runs).catch((error) =>
        this.logger.warn(`metrics: cannot write ${metricsFile}: ${(error as Error).message}`)
      )
    }
    if (pushgateway) await pushMetrics(pushgateway.url, pushgateway.job, this.runs, this.logger)
  }
}
