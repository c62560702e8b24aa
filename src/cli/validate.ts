/**
 * `rivet validate`: re-read what a run wrote (the latest, or `--run-id`) and check it against
 * its manifest: every part there, with the bytes, sha256 and rows it lists. Queries no
 * database. Any problem exits 6 with the first one on the error line.
 */
import { configError, dataCheckError } from '../errors.ts'
import { RUN_ID_PATTERN } from '../pipeline/run-id.ts'
import { exportPlace } from '../pipeline/runs.ts'
import { type RunReport, validateExport } from '../pipeline/validate.ts'
import { VERSION } from '../version.ts'
import { CONFIG_OPTIONS } from './args.ts'
import type { Command } from './command.ts'
import { loadFromArgs, selectExports } from './context.ts'
import type { ValidateDocument } from './documents.ts'

function toDocument(report: RunReport): ValidateDocument['exports'][number] {
  return {
    name: report.export,
    location: report.location,
    run_id: report.runId,
    status: report.runStatus,
    rows: report.rows,
    bytes: report.bytes,
    parts: report.parts,
    parts_checked: report.partsChecked,
    rows_counted: report.rowsCounted,
    problems: report.problems,
    notes: report.notes,
  }
}

function toText(report: RunReport): string {
  const head = report.runId === null
    ? `${report.export}: no committed run`
    : `${report.export}: run ${report.runId} (${report.runStatus ?? 'no manifest'}) at ${report.location}: ` +
      `${report.partsChecked} of ${report.parts} part(s) read, ${
        (report.rows ?? 0).toLocaleString('en-US')
      } rows, rows counted in ${report.rowsCounted}: ${report.problems.length ? 'FAILED' : 'ok'}`
  return [
    head,
    ...report.notes.map((n) => `  note: ${n}`),
    ...report.problems.map((p) => `  problem: ${p.message}`),
  ].join('\n')
}

/** The `validate` command. */
export const validateCommand: Command = {
  name: 'validate',
  summary:
    "re-read a run's parts and check them against its manifest (bytes, sha256, rows); queries no database",
  usage: 'rivet validate -c FILE [-e NAME]... [--run-id ID] [-p key=value]... [--json]',
  options: { ...CONFIG_OPTIONS, 'run-id': { type: 'string' } },
  async run({ values, logger }) {
    const loaded = await loadFromArgs('validate', values)
    const exports = selectExports(loaded, values)
    const runId = values['run-id'] as string | undefined
    if (runId !== undefined && !RUN_ID_PATTERN.test(runId)) {
      throw configError(`--run-id ${runId}: expected a run id like 20261122T195200Z-1a2b3c`, 'USAGE')
    }
    if (runId !== undefined && exports.length !== 1) {
      throw configError('--run-id names the run of one export: choose it with -e NAME', 'USAGE')
    }
    const reports: RunReport[] = []
    for (const exp of exports) {
      reports.push(await validateExport(exportPlace(loaded, exp, logger), runId))
    }
    const failed = reports.filter((r) => r.problems.length)
    const document: ValidateDocument = {
      rivet_version: VERSION,
      status: failed.length ? 'failed' : 'succeeded',
      exports: reports.map(toDocument),
    }
    const text = reports.map(toText).join('\n')
    if (failed.length) {
      const problems = failed.flatMap((r) => r.problems)
      const more = problems.length > 1 ? ` (${problems.length - 1} more problem(s) in the report)` : ''
      const error = dataCheckError(
        `${problems[0].message}${more}; re-run the export (rivet run -e ${
          failed[0].export
        }) to write a good run`,
        'VALIDATION_FAILED',
      )
      error.document = document
      error.report = text
      throw error
    }
    return { document, text }
  },
}
