/**
 * Validating a committed run against its manifest, from the destination alone: every part is
 * read once, streamed through sha256 and a row counter, and compared with the manifest's bytes,
 * sha256 and rows; the manifest's totals must match its parts. No database is queried.
 */
import { createHash } from 'node:crypto'
import type { Destination } from '../destinations/destination.ts'
import { type RowCount, rowCounter } from '../formats/count.ts'
import { type Manifest, manifestPath, manifestSchema } from './manifest.ts'
import { findRuns, openRun, type RunPlace } from './runs.ts'

/** Something that does not match: the part it is about (null for the run), and one line saying what. */
export interface Problem {
  part: string | null
  message: string
}

/** What validating one export's run found. */
export interface RunReport {
  export: string
  /** The run's directory, or where no run was found. */
  location: string
  /** Null when no committed run was found. */
  runId: string | null
  /** The manifest's status; null without a readable manifest. */
  runStatus: Manifest['status'] | null
  /** Totals as the manifest states them. */
  rows: number | null
  bytes: number | null
  /** Parts the manifest lists, and how many of them were there to read. */
  parts: number
  partsChecked: number
  /** Parts whose rows were counted from their bytes. */
  rowsCounted: number
  problems: Problem[]
  /** What was not checked and why, e.g. rows of zstd CSV. */
  notes: string[]
}

/** What reading one part found. */
interface PartFound {
  bytes: number
  sha256: string
  count: RowCount
}

/** Reads a part once: its size, its sha256 and its rows, holding no more than a chunk and a footer. */
async function measure(stream: ReadableStream<Uint8Array>, path: string): Promise<PartFound> {
  const hash = createHash('sha256')
  const counter = rowCounter(path)
  let bytes = 0
  const reader = stream.getReader()
  for (let next = await reader.read(); !next.done; next = await reader.read()) {
    hash.update(next.value)
    bytes += next.value.length
    await counter.push(next.value)
  }
  return { bytes, sha256: hash.digest('hex'), count: await counter.finish() }
}

/** The first 16 hex digits: enough to tell two digests apart in a one-line message. */
function short(sha256: string): string {
  return `${sha256.slice(0, 16)}...`
}

/** How a part differs from its manifest entry; empty when it matches. */
function differences(part: Manifest['parts'][number], found: PartFound): string[] {
  const out: string[] = []
  if (found.bytes !== part.bytes) out.push(`bytes ${found.bytes} (manifest ${part.bytes})`)
  if (found.sha256 !== part.sha256) out.push(`sha256 ${short(found.sha256)} (manifest ${short(part.sha256)})`)
  if ('rows' in found.count && found.count.rows !== part.rows) {
    out.push(`rows ${found.count.rows} (manifest ${part.rows})`)
  }
  if ('unreadable' in found.count) out.push(`rows unreadable: ${found.count.unreadable}`)
  return out
}

/** Reads the manifest of `runId`; a string says why it cannot be used. */
export async function readManifest(destination: Destination, runId: string): Promise<Manifest | string> {
  const path = manifestPath(runId)
  const stream = await destination.read(path)
  if (!stream) return `manifest ${path} disappeared while validating`
  let json: unknown
  try {
    json = JSON.parse(await new Response(stream).text())
  } catch (error) {
    return `manifest ${path} is not JSON: ${(error as Error).message}`
  }
  const parsed = manifestSchema.safeParse(json)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return `manifest ${path} is not a rivet manifest: ${issue.path.join('.') || '(root)'}: ${issue.message}`
  }
  return parsed.data.run_id === runId ? parsed.data : `manifest ${path} names run ${parsed.data.run_id}`
}

/** The problems of a manifest as a whole: its status and its totals against its parts. */
function manifestProblems(manifest: Manifest): string[] {
  const out: string[] = []
  if (manifest.status === 'failed') {
    out.push(
      'the manifest is marked failed: the run did not complete and its parts are not a committed export',
    )
  }
  const rows = manifest.parts.reduce((n, p) => n + p.rows, 0)
  if (rows !== manifest.rows) {
    out.push(`manifest rows ${manifest.rows} != ${rows}, the sum of its parts' rows`)
  }
  const bytes = manifest.parts.reduce((n, p) => n + p.bytes, 0)
  if (bytes !== manifest.bytes) {
    out.push(`manifest bytes ${manifest.bytes} != ${bytes}, the sum of its parts' bytes`)
  }
  return out
}

/** Validates run `runId` of an export, or its latest committed run. */
export async function validateExport(place: RunPlace, runId?: string): Promise<RunReport> {
  const name = place.exportName
  const search = await findRuns(place, runId)
  const chosen = runId ?? search.runIds.at(-1)
  const report: RunReport = {
    export: name,
    location: search.searched,
    runId: null,
    runStatus: null,
    rows: null,
    bytes: null,
    parts: 0,
    partsChecked: 0,
    rowsCounted: 0,
    problems: [],
    notes: [],
  }
  if (!chosen || !search.runIds.includes(chosen)) {
    const what = runId ? `run ${runId}` : 'run'
    report.problems.push({
      part: null,
      message: `export ${name}: no committed ${what} found in ${search.searched}`,
    })
    return report
  }
  const destination = openRun(place, chosen)
  const where = `export ${name}, run ${chosen}`
  Object.assign(report, { location: destination.location, runId: chosen })
  const manifest = await readManifest(destination, chosen)
  if (typeof manifest === 'string') {
    report.problems.push({ part: null, message: `${where}: ${manifest}` })
    return report
  }
  Object.assign(report, {
    runStatus: manifest.status,
    rows: manifest.rows,
    bytes: manifest.bytes,
    parts: manifest.parts.length,
  })
  for (const problem of manifestProblems(manifest)) {
    report.problems.push({ part: null, message: `${where}: ${problem}` })
  }
  for (const part of manifest.parts) {
    const stream = await destination.read(part.path)
    if (!stream) {
      report.problems.push({ part: part.path, message: `${where}, part ${part.path}: missing` })
      continue
    }
    const found = await measure(stream, part.path)
    report.partsChecked++
    if ('rows' in found.count) report.rowsCounted++
    if ('skipped' in found.count) {
      report.notes.push(`part ${part.path}: rows not counted: ${found.count.skipped}`)
    }
    const diff = differences(part, found)
    if (diff.length) {
      report.problems.push({ part: part.path, message: `${where}, part ${part.path}: ${diff.join(', ')}` })
    }
  }
  return report
}
