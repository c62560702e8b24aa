/**
 * `rivet cdc drop`: removes a cdc export's replication slot and publication. rivet never removes
 * them on its own: a slot is what keeps the changes no run has read yet.
 */
import type { ExportConfig } from '../config/schema.ts'
import { configError } from '../errors.ts'
import { formatBytes } from '../log/progress.ts'
import { capturePlan } from '../pipeline/capture.ts'
import type { CaptureTarget, Source } from '../sources/source.ts'
import { VERSION } from '../version.ts'
import { CONFIG_OPTIONS } from './args.ts'
import type { Command } from './command.ts'
import { loadFromArgs, selectExports, withSource } from './context.ts'

/** The slot and publication of a cdc export; a usage error for other exports and sources. */
export function captureTarget(
  exp: ExportConfig,
  source: Source,
): CaptureTarget & { capture: NonNullable<Source['capture']> } {
  if (exp.mode !== 'cdc') throw configError(`export ${exp.name} has mode: ${exp.mode}, not cdc`, 'USAGE')
  if (!source.capture) {
    throw configError(`export ${exp.name}: mode: cdc is not available for ${source.engine} sources yet`)
  }
  const plan = capturePlan(exp)
  return { table: plan.table, slot: plan.slot, publication: plan.publication, capture: source.capture }
}

/** What `rivet check` and `rivet doctor` say about a cdc export: the server's setting and the slot. */
export interface CaptureReport {
  /** The server setting CDC needs, as `name = value`. */
  setting: string
  /** The exact change to make; null when the server is ready. */
  fix: string | null
  slot: string
  /** The slot's state; null before the first run creates it. */
  slot_state: {
    active: boolean
    retained_bytes: number
    lag_bytes: number
    confirmed: string | null
  } | null
  /** Whether the slot keeps more change log than `max_slot_lag`. */
  over_max_slot_lag: boolean
}

/** The server's readiness for a cdc export and the state of its slot. */
export async function captureReport(exp: ExportConfig, source: Source): Promise<CaptureReport> {
  const { capture, ...target } = captureTarget(exp, source)
  const status = await capture.status(target)
  const slot = status.slot
  return {
    setting: status.setting,
    fix: status.fix ?? null,
    slot: target.slot,
    slot_state: slot
      ? {
        active: slot.active,
        retained_bytes: slot.retainedBytes,
        lag_bytes: slot.lagBytes,
        confirmed: slot.confirmed,
      }
      : null,
    over_max_slot_lag: (slot?.retainedBytes ?? 0) > capturePlan(exp).maxSlotLag,
  }
}

/** A capture report in one line, for people. */
export function describeCapture(report: CaptureReport): string {
  const server = report.fix
    ? `${report.setting}: CDC needs ${report.fix} (a run would stop with exit 3)`
    : `${report.setting} (ready)`
  const s = report.slot_state
  const slot = s
    ? `slot ${report.slot}: ${s.active ? 'active' : 'not active'}, keeps ${
      formatBytes(s.retained_bytes)
    } of WAL, ${formatBytes(s.lag_bytes)} behind, confirmed at ${s.confirmed ?? 'nothing yet'}${
      report.over_max_slot_lag ? ' (more than max_slot_lag: every run warns)' : ''
    }`
    : `slot ${report.slot}: not created yet (the first run creates it)`
  return `${server}; ${slot}`
}

export const cdcCommand: Command = {
  name: 'cdc',
  summary: "remove a cdc export's replication slot and publication (never done silently)",
  usage: 'rivet cdc drop -c FILE -e NAME...',
  options: CONFIG_OPTIONS,
  async run({ values, positionals, logger }) {
    if (positionals[0] !== 'drop') {
      throw configError(`cdc: expected drop, not ${positionals[0] ?? 'nothing'}; see rivet help cdc`, 'USAGE')
    }
    const loaded = await loadFromArgs('cdc drop', values)
    if (!(values.export as string[] | undefined)?.length) {
      throw configError('cdc drop: name the export(s) with -e NAME', 'USAGE')
    }
    const exports = selectExports(loaded, values)
    const done = await withSource(loaded, async (source) => {
      const out = []
      for (const exp of exports) {
        const { capture, ...target } = captureTarget(exp, source)
        const removed = await capture.drop(target)
        const what = [
          `slot ${target.slot} ${removed.slot ? 'removed' : 'did not exist'}`,
          `publication ${target.publication} ${removed.publication ? 'removed' : 'did not exist'}`,
        ].join(', ')
        logger.info(`export ${exp.name}: ${what}`)
        out.push({
          name: exp.name,
          ...target,
          slot_removed: removed.slot,
          publication_removed: removed.publication,
          what,
        })
      }
      return out
    })
    return {
      document: { rivet_version: VERSION, action: 'drop', exports: done.map(({ what: _, ...e }) => e) },
      text: done.map((e) =>
        `${e.name}: ${e.what}${
          e.slot_removed ? '; its state still names the slot: run rivet state reset to start over' : ''
        }`
      ).join('\n'),
    }
  },
}
