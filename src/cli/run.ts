/** `rivet run`: run every export of a config (or the ones named with -e). */
import { resolvePath } from '../config/load.ts'
import { asRivetError, configError } from '../errors.ts'
import { openSource } from '../sources/open.ts'
import { planExport } from '../pipeline/plan.ts'
import { requiredEnv } from '../config/env.ts'
import { Secret } from '../log/secret.ts'
import { Notifier } from '../pipeline/notify.ts'
import { RunReport } from '../pipeline/report.ts'
import { pause } from '../pipeline/pause.ts'
import { type ExportResult, runExport } from '../pipeline/run.ts'
import { typeName } from '../types/output.ts'
import { VERSION } from '../version.ts'
import { CONFIG_OPTIONS } from './args.ts'
import { capturePlan } from '../pipeline/capture.ts'
import type { Command } from './command.ts'
import { loadFromArgs, selectExports, withSource } from './context.ts'
import type { RunDocument } from './documents.ts'

export const runCommand: Command = {
  name: 'run',
  summary: 'run every export (or the named ones)',
  usage:
    'rivet run -c FILE [-e NAME]... [-p key=value]... [--resume] [--reconcile] [--accept-drift] [--follow] [--metrics-file PATH] [--json] [--dry-run]',
  options: {
    ...CONFIG_OPTIONS,
    'dry-run': { type: 'boolean' },
    resume: { type: 'boolean' },
    reconcile: { type: 'boolean' },
    'accept-drift': { type: 'boolean' },
    'metrics-file': { type: 'string' },
    follow: { type: 'boolean' },
  },
  async run({ values, logger, signal }) {
    const loaded = await loadFromArgs('run', values)
    const exports = selectExports(loaded, values)
    const toStdout = exports.filter((e) => e.destination.type === 'stdout')
    if (toStdout.length && (values.json || exports.length > 1) && !values['dry-run']) {
      throw configError(
        `export ${toStdout[0].name} writes to stdout, which must then carry nothing else: ` +
          'run it alone (-e NAME) and without --json',
        'USAGE',
      )
    }
    if (values['dry-run']) {
      return await withSource(loaded, async (source) => {
        const document: RunDocument = { rivet_version: VERSION, status: 'dry-run', exports: [] }
        for (const exp of exports) {
          const plan = await planExport(exp, source, loaded)
          document.exports.push({
            name: plan.name,
            query: plan.query,
            format: plan.formatName,
            compression: plan.compression,
            columns: plan.columns.map((c) => ({
              name: c.name,
              source_type: c.sourceType,
              output_type: typeName(c.type),
            })),
          })
        }
        const text = document.exports.map((p) =>
          `${p.name}: ${p.columns.length} columns -> ${p.format} (${p.compression})`
        )
        return { document, text: text.join('\n') }
      })
    }
    const follow = values.follow === true
    const notCdc = exports.find((e) => e.mode !== 'cdc')
    if (follow && notCdc) {
      throw configError(
        `--follow keeps reading changes: export ${notCdc.name} has mode: ${notCdc.mode}, not cdc`,
        'USAGE',
      )
    }
    const cdc = exports.find((e) => e.mode === 'cdc')
    if (values.reconcile && cdc) {
      throw configError(
        `--reconcile counts the rows of a query; export ${cdc.name} writes changes (mode: cdc): leave it out`,
        'USAGE',
      )
    }
    const results: ExportResult[] = []
    const metrics = loaded.config.metrics
    const notifications = loaded.config.notifications
    const report = new RunReport({
      metricsFile: values['metrics-file'] as string | undefined,
      pushgateway: metrics && { url: metrics.pushgateway, job: metrics.job },
      notifier: notifications && new Notifier(
        new Secret(requiredEnv(notifications.webhook_url_env, 'notifications.webhook_url_env')),
        notifications.webhook_url_env,
        new Set(notifications.on),
        logger,
      ),
    }, logger)
    try {
      await withSource(loaded, async (source) => {
        const options = {
          resume: values.resume === true,
          reconcile: values.reconcile === true,
          acceptDrift: values['accept-drift'] === true,
          openSource: () => openSource(loaded.config.source, (p) => resolvePath(loaded, p)),
        }
        // --follow: a bounded run of every export, again every `rollover`, until a signal; one
        // that comes between runs ends it cleanly, one that comes during a run discards that run.
        const every = follow ? Math.min(...exports.map((e) => capturePlan(e).rolloverSeconds)) * 1000 : 0
        do {
          const began = Date.now()
          for (const exp of exports) {
            report.start(exp.name)
            const result = await runExport(loaded, exp, source, logger, signal, options)
            report.succeeded(result)
            results.push(result)
          }
          if (follow) await pause(every - (Date.now() - began), signal)
        } while (follow && !signal.aborted)
      })
    } catch (error) {
      // Exports that finished before the failure are committed; the document says which.
      const e = asRivetError(error)
      e.document = { rivet_version: VERSION, status: 'failed', exports: results } satisfies RunDocument
      report.failed(e, exports.map((exp) => exp.name))
      await report.finish()
      throw e
    }
    await report.finish()
    const document: RunDocument = { rivet_version: VERSION, status: 'succeeded', exports: results }
    return { document }
  },
}
