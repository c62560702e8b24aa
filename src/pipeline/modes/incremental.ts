/**
 * `mode: incremental`: the rows from the last committed cursor value on (inclusive), less the
 * rows the last run exported at exactly that value (see ../cursor.ts). The new cursor is claimed
 * in the state before the manifest is written, so of two runs at once only the first to claim
 * commits; it becomes the cursor once the manifest is written.
 */
import { configError } from '../../errors.ts'
import { typeName } from '../../types/output.ts'
import { CursorTracker, skipExported } from '../cursor.ts'
import type { CursorState, ExportState, StateSession } from '../state.ts'
import type { Mode, ModeRun } from './mode.ts'

/** The committed cursor, after settling a claim a crashed run left: kept if its manifest exists. */
async function settle(run: ModeRun<'incremental'>, session: StateSession): Promise<ExportState> {
  const state = session.state
  const pending = state.pending
  if (!pending) return state
  const committed = await run.committed(pending.run_id)
  run.logger.info(
    `export ${run.plan.name}: run ${pending.run_id} ${
      committed ? 'committed' : 'did not commit'
    } before it ` +
      `stopped; its cursor is ${committed ? 'kept' : 'dropped'}`,
  )
  return { ...state, cursor: committed ? pending.cursor : state.cursor, pending: undefined }
}

/** The state's cursor must be about the column the config names. */
function checkCursor(run: ModeRun<'incremental'>, cursor: CursorState | undefined, where: string): void {
  const column = run.settings.column
  if (cursor && (cursor.column !== column.name || cursor.type !== typeName(column.type))) {
    throw configError(
      `export ${run.plan.name}: the state at ${where} has a cursor on ${cursor.column} (${cursor.type}), ` +
        `the config on ${column.name} (${
          typeName(column.type)
        }); run rivet state reset -e ${run.plan.name} to start over`,
      'STATE_MISMATCH',
    )
  }
}

/** Reads past the cursor and claims the new one. */
export const incrementalMode: Mode<'incremental'> = {
  keepsState: true,
  keepsPartsOnFailure: false,
  async read(run) {
    const session = run.state!
    const state = await settle(run, session)
    checkCursor(run, state.cursor, session.where)
    const column = run.settings.column
    const index = run.plan.columns.indexOf(column)
    const previous = state.cursor
    const tracker = new CursorTracker(run.plan.columns, index, previous)
    run.writer.observe(tracker)
    const skip = previous ? skipExported(run.plan.columns, index, previous) : undefined
    const range = previous ? { column, from: previous.value } : undefined
    const parts = await run.writer.slice(run.source, range, run.signal, skip?.stream)
    const position = tracker.position()
    let commit: ((state: ExportState) => ExportState) | undefined
    if (position && run.writer.totals.rows > 0) {
      const next: CursorState = {
        column: column.name,
        type: typeName(column.type),
        ...position,
        run_id: run.runId,
      }
      commit = (s) => ({ ...s, cursor: next, pending: undefined })
      // Claimed before the manifest: of two runs at once, only the one that claims first commits.
      await session.save({ ...state, pending: { run_id: run.runId, cursor: next } })
    }
    return {
      parts,
      cursor: { column: column.name, from: previous?.value ?? null, to: position?.value ?? null },
      range,
      alreadyExported: skip?.skipped() ?? 0,
      commit,
    }
  },
}
