/**
 * Which store holds an export's state: `state: { type: local }` (the default) keeps one file per
 * export in `.rivet/` next to the config file; `type: destination` keeps it beside the data, where
 * every machine that runs the export sees the same cursor.
 */
import { type LoadedConfig, resolvePath } from '../config/load.ts'
import type { ExportConfig } from '../config/schema.ts'
import { LocalDestination } from '../destinations/local.ts'
import type { Logger } from '../log/logger.ts'
import { exportPlace, statePlace } from './runs.ts'
import { StateStore } from './state.ts'

/** The default state directory, relative to the config file. */
export const DEFAULT_STATE_DIR = '.rivet'

/** Opens the store that holds `exp`'s state. */
export function openStateStore(loaded: LoadedConfig, exp: ExportConfig, logger?: Logger): StateStore {
  const config = loaded.config.state
  if (config?.type === 'destination') {
    const { destination, path } = statePlace(exportPlace(loaded, exp, logger))
    return new StateStore(destination, () => path)
  }
  const dir = resolvePath(loaded, config?.path ?? DEFAULT_STATE_DIR)
  return new StateStore(new LocalDestination(dir), (name) => `${name}.json`)
}
