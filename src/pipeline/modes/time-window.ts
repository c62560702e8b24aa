/**
 * `mode: time_window`: the last `days_window` days of `time_column`, counted from the run's start
 * (for a date column, from today in UTC); no state.
 */
import { windowStart } from '../bounds.ts'
import type { Mode } from './mode.ts'

/** Reads the rows inside the window. */
export const timeWindowMode: Mode<'time_window'> = {
  keepsState: false,
  keepsPartsOnFailure: false,
  async read(run) {
    const { column, days } = run.settings
    const from = windowStart(column.type, days, run.startedAt)
    const range = { column, from }
    return {
      parts: await run.writer.slice(run.source, range, run.signal),
      cursor: { column: column.name, from, to: null },
      range,
      alreadyExported: 0,
      commit: undefined,
    }
  },
}
