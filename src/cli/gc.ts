/**
 * `rivet gc`: list, and with `--delete` remove, what interrupted runs left at the destination:
 * parts no manifest lists and incomplete uploads, older than `--older-than` (default 24h) and not
 * claimed by a run in progress. Listing is the default so a user sees what would go first.
 */
import { configError } from '../errors.ts'
import { formatBytes } from '../log/progress.ts'
import { claimedRuns, collectGarbage, type GcReport } from '../pipeline/gc.ts'
import { exportPlace } from '../pipeline/runs.ts'
import { openStateStore } from '../pipeline/state-place.ts'
import { VERSION } from '../version.ts'
import { CONFIG_OPTIONS } from './args.ts'
import type { Command } from './command.ts'
import { loadFromArgs, selectExports } from './context.ts'
import type { GcDocument } from './documents.ts'

/** The default bound: longer than any run, so nothing of a run in progress is ever taken. */
const DEFAULT_OLDER_THAN = '24h'

/** Seconds per unit of `--older-than`; days too, as garbage is often counted in them. */
const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 }

/** Seconds in `--older-than` (`0s`, `90m`, `24h`, `7d`). */
function olderThanSeconds(text: string): number {
  const match = /^(\d+)([smhd])$/.exec(text.trim())
  if (!match) {
    throw configError(`--older-than ${text}: expected a duration such as 900s, 45m, 24h or 7d`, 'USAGE')
  }
  return Number(match[1]) * UNITS[match[2]]
}

function toDocument(report: GcReport): GcDocument['exports'][number] {
  return {
    name: report.export,
    location: report.location,
    orphans: report.orphans.map((o) => ({
      path: o.path,
      run_id: o.runId,
      bytes: o.bytes,
      modified: o.modified.toISOString(),
    })),
    uploads: report.uploads.map((u) => ({
      path: u.path,
      upload_id: u.id,
      run_id: u.runId,
      started: u.started.toISOString(),
    })),
    kept: report.kept,
    removed: report.removed,
    notes: report.notes,
  }
}

function toText(report: GcReport, remove: boolean, olderThan: string): string {
  const bytes = report.orphans.reduce((n, o) => n + o.bytes, 0)
  const kept = report.kept.recent + report.kept.claimed
  const head = `${report.export}: ${report.orphans.length} orphaned part(s) (${formatBytes(bytes)}) and ` +
    `${report.uploads.length} incomplete upload(s) older than ${olderThan} at ${report.location}` +
    (remove ? `: ${report.removed} removed` : '') +
    (kept ? `; kept ${report.kept.recent} recent, ${report.kept.claimed} of runs in progress` : '')
  return [
    head,
    ...report.orphans.map((o) => `  part    ${o.path}  ${o.bytes} bytes  ${o.modified.toISOString()}`),
    ...report.uploads.map((u) => `  upload  ${u.path}  ${u.id}  ${u.started.toISOString()}`),
    ...report.notes.map((n) => `  note: ${n}`),
  ].join('\n')
}

/** The `gc` command. */
export const gcCommand: Command = {
  name: 'gc',
  summary:
    'list (with --delete remove) parts no manifest lists and incomplete uploads left by interrupted runs',
  usage: 'rivet gc -c FILE [-e NAME]... [--older-than 24h] [--delete] [-p key=value]... [--json]',
  options: { ...CONFIG_OPTIONS, 'older-than': { type: 'string' }, delete: { type: 'boolean' } },
  async run({ values, logger }) {
    const olderThan = (values['older-than'] as string | undefined) ?? DEFAULT_OLDER_THAN
    const seconds = olderThanSeconds(olderThan)
    const remove = Boolean(values.delete)
    const loaded = await loadFromArgs('gc', values)
    const reports: GcReport[] = []
    for (const exp of selectExports(loaded, values)) {
      const { state } = await openStateStore(loaded, exp, logger).load(exp.name)
      const report = await collectGarbage(exportPlace(loaded, exp, logger), claimedRuns(state), {
        olderThanMs: seconds * 1000,
        remove,
      })
      if (remove && report.removed) {
        logger.info(`export ${exp.name}: removed ${report.removed} orphaned part(s) and upload(s)`, {
          location: report.location,
        })
      }
      reports.push(report)
    }
    const document: GcDocument = {
      rivet_version: VERSION,
      action: remove ? 'delete' : 'list',
      older_than_s: seconds,
      exports: reports.map(toDocument),
    }
    return { document, text: reports.map((r) => toText(r, remove, olderThan)).join('\n') }
  },
}
