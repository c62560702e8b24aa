/**
 * `rivet history`: the runs of each export, newest first, read from the manifests at the
 * destination, so it answers from any machine with access to the files and no database.
 */
import { configError } from '../errors.ts'
import { formatBytes } from '../log/progress.ts'
import { type ExportHistory, exportHistory } from '../pipeline/history.ts'
import { exportPlace } from '../pipeline/runs.ts'
import { VERSION } from '../version.ts'
import { CONFIG_OPTIONS } from './args.ts'
import type { Command } from './command.ts'
import { loadFromArgs, selectExports } from './context.ts'
import type { HistoryDocument } from './documents.ts'

/** Runs listed per export without --limit. */
const DEFAULT_LIMIT = 20

function toText(history: ExportHistory): string {
  if (!history.runs.length && !history.unreadable.length) {
    return `${history.name}: no runs at ${history.location}`
  }
  const rows = history.runs.map((r) => [
    r.run_id,
    r.started_at.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    `${r.duration_s.toFixed(1)}s`,
    r.mode,
    r.rows.toLocaleString('en-US'),
    formatBytes(r.bytes),
    String(r.parts),
    r.status + (r.failures.length ? `: ${r.failures.join('; ')}` : ''),
  ])
  const head = ['RUN', 'STARTED', 'TOOK', 'MODE', 'ROWS', 'BYTES', 'PARTS', 'STATUS']
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)))
  const line = (cells: string[]) =>
    '  ' + cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i])).join('  ')
  return [
    `${history.name} (${history.location}):`,
    line(head),
    ...rows.map(line),
    ...history.unreadable.map((u) => `  unreadable: ${u}`),
  ].join('\n')
}

/** The `history` command. */
export const historyCommand: Command = {
  name: 'history',
  summary: 'the runs of each export, newest first, from the manifests at the destination',
  usage: 'rivet history -c FILE [-e NAME]... [--limit N] [-p key=value]... [--json]',
  options: { ...CONFIG_OPTIONS, limit: { type: 'string' } },
  async run({ values, logger }) {
    const text = values.limit as string | undefined
    const limit = text === undefined ? DEFAULT_LIMIT : Number(text)
    if (!Number.isInteger(limit) || limit < 1) {
      throw configError(`--limit ${text}: expected a whole number of runs, 1 or more`, 'USAGE')
    }
    const loaded = await loadFromArgs('history', values)
    const histories: ExportHistory[] = []
    for (const exp of selectExports(loaded, values)) {
      histories.push(await exportHistory(exportPlace(loaded, exp, logger), limit))
    }
    const document: HistoryDocument = { rivet_version: VERSION, exports: histories }
    return { document, text: histories.map(toText).join('\n\n') }
  },
}
