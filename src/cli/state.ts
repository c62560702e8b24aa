/** `rivet state show` / `rivet state reset`: inspect and clear the cursors and checkpoints of exports. */
import { configError } from '../errors.ts'
import { openStateStore } from '../pipeline/state-place.ts'
import type { ExportState } from '../pipeline/state.ts'
import { VERSION } from '../version.ts'
import { CONFIG_OPTIONS } from './args.ts'
import type { Command } from './command.ts'
import { loadFromArgs, selectExports } from './context.ts'
import type { StateDocument } from './documents.ts'

/** One line about an export's state, for people. */
function describe(name: string, state: ExportState | undefined): string {
  if (!state?.cursor && !state?.checkpoint) return `${name}: no state`
  const parts: string[] = []
  if (state.cursor) {
    parts.push(
      `cursor ${state.cursor.column} = ${state.cursor.value} (${state.cursor.boundary.length} row(s) at that value, run ${state.cursor.run_id})`,
    )
  }
  if (state.checkpoint) {
    const c = state.checkpoint
    parts.push(
      `interrupted run ${c.run_id}: ${
        Object.keys(c.done).length
      } of ${c.chunks.length} chunks committed (rivet run --resume)`,
    )
  }
  return `${name}: ${parts.join('; ')}`
}

export const stateCommand: Command = {
  name: 'state',
  summary: 'show or reset the cursors and checkpoints of exports',
  usage: 'rivet state show -c FILE [-e NAME]... | rivet state reset -c FILE -e NAME...',
  options: CONFIG_OPTIONS,
  async run({ values, positionals, logger }) {
    const action = positionals[0]
    if (action !== 'show' && action !== 'reset') {
      throw configError(
        `state: expected show or reset, not ${action ?? 'nothing'}; see rivet help state`,
        'USAGE',
      )
    }
    const loaded = await loadFromArgs(`state ${action}`, values)
    if (action === 'reset' && !(values.export as string[] | undefined)?.length) {
      throw configError('state reset: name the export(s) to reset with -e NAME', 'USAGE')
    }
    const exports = selectExports(loaded, values)
    const document: StateDocument = { rivet_version: VERSION, action, exports: [] }
    const lines: string[] = []
    for (const exp of exports) {
      const store = openStateStore(loaded, exp, logger)
      const { state } = await store.load(exp.name)
      if (action === 'reset') {
        await store.remove(exp.name)
        logger.info(`export ${exp.name}: state reset; the next run starts from the beginning`, {
          location: store.where(exp.name),
        })
      }
      document.exports.push({ name: exp.name, location: store.where(exp.name), state: state ?? null })
      lines.push(
        action === 'reset'
          ? `${exp.name}: reset (was: ${describe(exp.name, state)})`
          : describe(exp.name, state),
      )
    }
    return { document, text: lines.join('\n') }
  },
}
