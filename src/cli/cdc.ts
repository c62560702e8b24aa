/**
 * `rivet cdc drop`: removes a cdc export's replication slot and publication. rivet never removes
 * them on its own: a slot is what keeps the changes no run has read yet.
 */
import type { ExportConfig } from '../config/schema.ts'
import { configError } from '../errors.ts'
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
