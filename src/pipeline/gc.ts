/**
 * Garbage from interrupted runs: parts no manifest lists and uploads never completed, which a
 * hard kill (SIGKILL, a lost machine) leaves behind because nothing ran to remove them. Only
 * names a run of the export writes are considered (`<export>-<run_id>-<part>.<ext>` where that
 * run's files go), so nothing else in the bucket or directory is ever touched. A run still in
 * progress is protected twice: its files are younger than the bound, and a run the state claims
 * (a chunked checkpoint, an incremental run's pending cursor) keeps its files whatever their age.
 */
import { posix } from 'node:path'
import type { Destination, IncompleteUpload } from '../destinations/destination.ts'
import { manifestSchema } from './manifest.ts'
import { RUN_ID_PATTERN } from './run-id.ts'
import { MANIFEST_AT, type RunPlace, runsBase } from './runs.ts'
import type { ExportState } from './state.ts'

/** A data object no manifest lists. */
export interface Orphan {
  /** Relative to the export's place (see {@link GcReport.location}). */
  path: string
  runId: string
  bytes: number
  modified: Date
}

/** An incomplete upload of a part. */
export interface StaleUpload {
  path: string
  id: string
  runId: string
  started: Date
}

/** What collecting one export's garbage found, and did. */
export interface GcReport {
  export: string
  /** Where the export's runs are; paths are relative to it. */
  location: string
  orphans: Orphan[]
  uploads: StaleUpload[]
  /** Garbage candidates left alone: too recent, or of a run the state claims. */
  kept: { recent: number; claimed: number }
  /** Objects removed and uploads aborted (0 unless asked to delete). */
  removed: number
  /** What could not be looked at, and why. */
  notes: string[]
}

/** What to collect. */
export interface GcOptions {
  /** Only what was last written longer ago than this. */
  olderThanMs: number
  /** Remove the orphans and abort the uploads, rather than only list them. */
  remove: boolean
  now?: Date
}

/** Run ids the state holds a claim for: their parts belong to a run that is not over. */
export function claimedRuns(state: ExportState | undefined): Set<string> {
  return new Set([state?.checkpoint?.run_id, state?.pending?.run_id].filter((id) => id !== undefined))
}

/** A run id, unanchored. */
const RUN_ID = RUN_ID_PATTERN.source.slice(1, -1)

/** A part's file name for export `name`, capturing its run id. */
function partName(name: string): RegExp {
  const escaped = name.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')
  return new RegExp(`^${escaped}-(${RUN_ID})-\\d{5,}\\.(?:parquet|csv|csv\\.gz|csv\\.zst)$`)
}

/** Reads every manifest of the export: the parts they list, and runs whose manifest is unreadable. */
async function referenced(
  destination: Destination,
  paths: string[],
  runRoot: (runId: string) => string,
): Promise<{ parts: Set<string>; unreadable: Map<string, string> }> {
  const parts = new Set<string>()
  const unreadable = new Map<string, string>()
  for (const path of paths) {
    const match = MANIFEST_AT.exec(path)
    if (!match || !RUN_ID_PATTERN.test(match[2]) || (match[1] ?? '') !== runRoot(match[2])) continue
    const stream = await destination.read(path)
    if (!stream) continue
    let problem: string
    try {
      const parsed = manifestSchema.safeParse(JSON.parse(await new Response(stream).text()))
      if (parsed.success) {
        for (const part of parsed.data.parts) parts.add(posix.join(match[1] ?? '', part.path))
        continue
      }
      problem = parsed.error.issues[0].message
    } catch (error) {
      problem = (error as Error).message
    }
    unreadable.set(match[2], `${path}: ${problem}`)
  }
  return { parts, unreadable }
}

/** Lists (and with `remove`, deletes) the orphaned parts and stale uploads of one export. */
export async function collectGarbage(
  place: RunPlace,
  claimed: Set<string>,
  options: GcOptions,
): Promise<GcReport> {
  const { destination, runRoot } = runsBase(place)
  const report: GcReport = {
    export: place.exportName,
    location: destination.location,
    orphans: [],
    uploads: [],
    kept: { recent: 0, claimed: 0 },
    removed: 0,
    notes: [],
  }
  if (destination.singleStream || !destination.listObjects) {
    report.notes.push('the destination keeps no files: nothing to collect')
    return report
  }
  const cutoff = (options.now ?? new Date()).getTime() - options.olderThanMs
  const name = partName(place.exportName)
  /** The run id of a part of this export at `path`, or undefined for anything else. */
  const runOf = (path: string): string | undefined => {
    const runId = name.exec(posix.basename(path))?.[1]
    if (!runId || path.split('/').includes('_rivet')) return undefined
    const root = runRoot(runId)
    return root === '' || path.startsWith(`${root}/`) ? runId : undefined
  }
  /** Whether garbage of `runId` last written at `at` may go; counts what is kept. */
  const eligible = (runId: string, at: Date): boolean => {
    if (claimed.has(runId)) report.kept.claimed++
    else if (at.getTime() > cutoff) report.kept.recent++
    else return true
    return false
  }

  const objects = await destination.listObjects('')
  const manifests = await referenced(destination, objects.map((o) => o.path), runRoot)
  for (const [runId, problem] of manifests.unreadable) {
    report.notes.push(`run ${runId}: manifest unreadable (${problem}); its parts are kept`)
  }
  for (const object of objects) {
    const runId = runOf(object.path)
    if (!runId || manifests.parts.has(object.path) || manifests.unreadable.has(runId)) continue
    if (eligible(runId, object.modified)) {
      report.orphans.push({ path: object.path, runId, bytes: object.size, modified: object.modified })
    }
  }

  let incomplete: IncompleteUpload[] = []
  if (destination.listIncomplete) incomplete = await destination.listIncomplete('')
  else report.notes.push('incomplete uploads cannot be listed here; the store discards them within a week')
  /** The run whose manifest is at `path`, where that run writes it, or undefined. */
  const manifestOf = (path: string): string | undefined => {
    const match = MANIFEST_AT.exec(path)
    return match && RUN_ID_PATTERN.test(match[2]) && (match[1] ?? '') === runRoot(match[2])
      ? match[2]
      : undefined
  }
  for (const upload of incomplete) {
    // A manifest never completed (a kill before it was in place) is as much garbage as a part.
    const runId = runOf(upload.path) ?? manifestOf(upload.path)
    if (runId && eligible(runId, upload.started)) {
      report.uploads.push({ path: upload.path, id: upload.id, runId, started: upload.started })
    }
  }

  if (options.remove) {
    for (const orphan of report.orphans) {
      await destination.remove(orphan.path)
      report.removed++
    }
    for (const upload of report.uploads) {
      // A destination that lists incomplete uploads aborts them too.
      await destination.abortIncomplete!(upload)
      report.removed++
    }
  }
  return report
}
