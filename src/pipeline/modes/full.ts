/** `mode: full`: the whole query, every run; no state. */
import type { Mode } from './mode.ts'

/** Reads the whole query. */
export const fullMode: Mode<'full'> = {
  keepsState: false,
  keepsPartsOnFailure: false,
  async read(run) {
    return {
      parts: await run.writer.slice(run.source, undefined, run.signal),
      cursor: null,
      range: undefined,
      alreadyExported: 0,
      commit: undefined,
    }
  },
}
