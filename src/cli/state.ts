/** `rivet state show` / `rivet state reset`: inspect and clear the cursors and checkpoints of exports. */
import type { LoadedConfig } from '../config/load.ts'
import type { ExportConfig } from '../config/schema.ts'
import { configError } from '../errors.ts'
import type { Logger } from '../log/logger.ts'
import { compareSchemas, describeChange, recordSchema } from '../pipeline/drift.ts'
import { planExport } from '../pipeline/plan.ts'
import { openStateStore } from '../pipeline/state-place.ts'
import { type ExportState, StateSession } from '../pipeline/state.ts'
import { VERSION } from '../version.ts'
import { CONFIG_OPTIONS } from './args.ts'
import type { Command, CommandResult } from './command.ts'
import { loadFromArgs, selectExports, withSource } from './context.ts'
import type { StateDocument } from './documents.ts'

/** One line about an export's state, for people. */
function describe(name: string, state: ExportState | undefined): string {
  if (!state?.cursor && !state?.checkpoint && !state?.schema && !state?.capture) return `${name}: no state`
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
  if (state.capture) {
    const c = state.capture
    parts.push(
      c.position
        ? `slot ${c.slot} read to position ${c.position} (run ${c.run_id})`
        : `slot ${c.slot} made by run ${c.run_id}, which has not committed`,
    )
  }
  if (state.schema) {
    parts.push(
      `schema of ${state.schema.columns.length} columns (${
        state.schema.run_id ? `run ${state.schema.run_id}` : 'accepted'
      })`,
    )
  }
  return `${name}: ${parts.join('; ')}`
}

/**
 * `rivet state accept-schema`: the columns the export's query yields now become the schema the
 * next run compares against, so a drift refused by `on_schema_drift` goes through.
 */
async function acceptSchema(
  loaded: LoadedConfig,
  exports: ExportConfig[],
  logger: Logger,
): Promise<CommandResult> {
  const document: StateDocument = { rivet_version: VERSION, action: 'accept-schema', exports: [] }
  const lines: string[] = []
  await withSource(loaded, async (source) => {
    for (const exp of exports) {
      const plan = await planExport(exp, source, loaded)
      const session = await StateSession.open(openStateStore(loaded, exp, logger), exp.name)
      const changes = compareSchemas(session.state.schema?.columns ?? [], recordSchema(plan.output).columns)
      await session.save({ ...session.state, schema: recordSchema(plan.output) })
      const what = session.state.schema && changes.length
        ? changes.map(describeChange).join('; ')
        : 'no change'
      logger.info(`export ${exp.name}: schema accepted (${what})`, { location: session.where })
      document.exports.push({ name: exp.name, location: session.where, state: session.state })
      lines.push(`${exp.name}: schema of ${plan.output.length} columns accepted (${what})`)
    }
  })
  return { document, text: lines.join('\n') }
}

export const stateCommand: Command = {
  name: 'state',
  summary: 'show or reset the cursors and checkpoints of exports; accept a drifted schema',
  usage:
    'rivet state show -c FILE [-e NAME]... | rivet state reset -c FILE -e NAME... | rivet state accept-schema -c FILE -e NAME...',
  options: CONFIG_OPTIONS,
  async run({ values, positionals, logger }) {
    const action = positionals[0]
    if (action !== 'show' && action !== 'reset' && action !== 'accept-schema') {
      throw configError(
        `state: expected show, reset or accept-schema, not ${action ?? 'nothing'}; see rivet help state`,
        'USAGE',
      )
    }
    const loaded = await loadFromArgs(`state ${action}`, values)
    if (action !== 'show' && !(values.export as string[] | undefined)?.length) {
      throw configError(`state ${action}: name the export(s) with -e NAME`, 'USAGE')
    }
    const exports = selectExports(loaded, values)
    if (action === 'accept-schema') return await acceptSchema(loaded, exports, logger)
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
