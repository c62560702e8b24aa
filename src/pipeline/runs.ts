/**
 * Finding the committed runs of an export from what its destination holds: a run is committed
 * when its manifest `_rivet/runs/<run_id>.json` exists. When the path or prefix has `{date}` or
 * `{run_id}` in it, every run has its own directory, so without a run id the search lists
 * everything below the last fixed directory and keeps the manifests a run of this export could
 * have written there.
 */
import { posix } from 'node:path'
import { type LoadedConfig, resolvePath } from '../config/load.ts'
import type { DestinationConfig, ExportConfig } from '../config/schema.ts'
import type { Destination } from '../destinations/destination.ts'
import {
  anchorPaths,
  exportRoot,
  openDestinationAt,
  type Placeholders,
  rootTemplate,
} from '../destinations/open.ts'
import type { Logger } from '../log/logger.ts'
import { RUN_ID_PATTERN, runDate } from './run-id.ts'

/** Where one export's runs are: its destination block and the root template with placeholders. */
export interface RunPlace {
  exportName: string
  config: DestinationConfig
  /** The local path or bucket prefix before placeholders are filled (see `rootTemplate`). */
  template: string
  logger?: Logger
}

/** Where the runs of an export of a loaded config are. */
export function exportPlace(loaded: LoadedConfig, exp: ExportConfig, logger?: Logger): RunPlace {
  const resolve = (p: string) => resolvePath(loaded, p)
  const config = anchorPaths(exp.destination, resolve)
  return { exportName: exp.name, config, template: rootTemplate(config, resolve), logger }
}

/** What a search found. */
export interface RunSearch {
  /** Where it looked, for messages. */
  searched: string
  /** Ids of the committed runs, oldest first. */
  runIds: string[]
}

/** A manifest path at any depth: the directory above `_rivet/`, and the file's run id. */
export const MANIFEST_AT = /^(?:(.*)\/)?_rivet\/runs\/([^/]+)\.json$/

/** Placeholders that differ from run to run. */
const PER_RUN = /\{(date|run_id)\}/

function placeholders(place: RunPlace, runId: string): Placeholders {
  return { export: place.exportName, run_id: runId, date: runDate(runId) }
}

/** The export's directory for run `runId`. */
function runRoot(place: RunPlace, runId: string): string {
  return exportRoot(place.template, placeholders(place, runId))
}

/** The last directory of the template above its first per-run placeholder, `{export}` filled. */
function fixedBase(place: RunPlace): string {
  const filled = place.template.replaceAll('{export}', place.exportName)
  const head = filled.slice(0, filled.search(PER_RUN))
  const slash = head.lastIndexOf('/')
  // Keep a leading `/`: a local template is an absolute path.
  return head.slice(0, slash === 0 ? 1 : Math.max(slash, 0))
}

/** Lists the committed runs of an export; with `runId`, only in the directory that run used. */
export async function findRuns(place: RunPlace, runId?: string): Promise<RunSearch> {
  const scan = !runId && PER_RUN.test(place.template)
  // Any id fills the root of a template without per-run placeholders.
  const base = scan ? fixedBase(place) : runRoot(place, runId ?? '00000000T000000Z-000000')
  const destination = openDestinationAt(place.config, base, place.logger)
  const names = await destination.list(scan ? '' : '_rivet/runs/')
  const runIds: string[] = []
  for (const name of names) {
    const match = MANIFEST_AT.exec(name)
    if (!match || !RUN_ID_PATTERN.test(match[2])) continue
    // Keep a manifest only where this export's run with that id would have put it.
    if (posix.join(base, match[1] ?? '') === posix.normalize(runRoot(place, match[2]))) runIds.push(match[2])
  }
  return { searched: `${destination.location}${scan ? '' : '/_rivet/runs/'}`, runIds: runIds.sort() }
}

/**
 * Where every run of an export is: the destination rooted at the export's directory, or, when
 * every run has one of its own, at the last fixed directory above them; `runRoot` says where
 * run `runId` put its files, relative to that destination ('' for its root).
 */
export function runsBase(place: RunPlace): { destination: Destination; runRoot: (runId: string) => string } {
  const perRun = PER_RUN.test(place.template)
  const base = perRun ? fixedBase(place) : runRoot(place, '00000000T000000Z-000000')
  return {
    destination: openDestinationAt(place.config, base, place.logger),
    runRoot: (runId) => perRun ? posix.relative(base, runRoot(place, runId)) : '',
  }
}

/** The destination rooted at the export's directory of run `runId`. */
export function openRun(place: RunPlace, runId: string): Destination {
  return openDestinationAt(place.config, runRoot(place, runId), place.logger)
}

/**
 * Where an export's state is kept beside its data: `_rivet/state.json` in the export's directory,
 * or, when every run has a directory of its own, `_rivet/state/<export>.json` above them.
 */
export function statePlace(place: RunPlace): { destination: Destination; path: string } {
  if (!PER_RUN.test(place.template)) {
    return { destination: openRun(place, '00000000T000000Z-000000'), path: '_rivet/state.json' }
  }
  return {
    destination: openDestinationAt(place.config, fixedBase(place), place.logger),
    path: `_rivet/state/${place.exportName}.json`,
  }
}
