/**
 * Run history: the runs of an export as its destination records them, newest first. Every run
 * that wrote a manifest is there (committed, or failed by a quality rule or `--reconcile`), so the
 * history needs no local database and reads the same from any machine. A run refused before it
 * wrote anything (schema drift, a source or destination error) leaves no manifest and no entry.
 */
import type { Manifest } from './manifest.ts'
import { findRuns, openRun, type RunPlace } from './runs.ts'
import { readManifest } from './validate.ts'

/** One run as the history lists it. */
export interface HistoryEntry {
  run_id: string
  status: Manifest['status']
  mode: string
  started_at: string
  finished_at: string
  duration_s: number
  rows: number
  bytes: number
  parts: number
  /** What failed: each quality rule's (or reconcile's) message. */
  failures: string[]
}

/** The history of one export. */
export interface ExportHistory {
  name: string
  /** Where the runs were looked for. */
  location: string
  runs: HistoryEntry[]
  /** Manifests that could not be read, one line each. */
  unreadable: string[]
}

function entry(manifest: Manifest): HistoryEntry {
  return {
    run_id: manifest.run_id,
    status: manifest.status,
    mode: manifest.mode,
    started_at: manifest.started_at,
    finished_at: manifest.finished_at,
    duration_s: (Date.parse(manifest.finished_at) - Date.parse(manifest.started_at)) / 1000,
    rows: manifest.rows,
    bytes: manifest.bytes,
    parts: manifest.parts.length,
    failures: (manifest.failures ?? []).map((f) => f.message),
  }
}

/** The newest `limit` runs of an export (all without a limit), newest first. */
export async function exportHistory(place: RunPlace, limit?: number): Promise<ExportHistory> {
  const search = await findRuns(place)
  const ids = search.runIds.reverse().slice(0, limit)
  const runs: HistoryEntry[] = []
  const unreadable: string[] = []
  // Manifests are small: read a few at once, so a long history on a store is not one round trip each.
  const manifests = await mapLimited(ids, 8, (id) => readManifest(openRun(place, id), id))
  for (const manifest of manifests) {
    if (typeof manifest === 'string') unreadable.push(manifest)
    else runs.push(entry(manifest))
  }
  return { name: place.exportName, location: search.searched, runs, unreadable }
}

/** `work` over `items` with at most `limit` at a time; results in the order of `items`. */
async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await work(items[i])
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}
