/**
 * Prometheus metrics of each export's last run, in the text exposition format (version 0.0.4):
 * written to a file for node_exporter's textfile collector (`--metrics-file`, replaced by an
 * atomic rename so the collector never reads half of it) and pushed to a Pushgateway at the end
 * of a run (`metrics: { pushgateway, job }`), one group per export. The format is a few lines
 * per sample; a library for it (prom-client) would bring a registry, timers and process metrics
 * rivet does not use.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { fetchWithin } from '../http/request.ts'
import type { Logger } from '../log/logger.ts'

/** What one export's run reports. */
export interface ExportMetrics {
  export: string
  status: 'succeeded' | 'failed'
  rows: number
  bytes: number
  parts: number
  durationSeconds: number
  /** When the run ended. */
  finishedAt: Date
  retries: number
  credentialRefreshes: number
}

interface Family {
  name: string
  type: 'counter' | 'gauge'
  help: string
  /** Undefined: the run has no value for it (a failed run's last success). */
  value: (m: ExportMetrics) => number | undefined
}

/** Every metric, in the order they are written; each sample has the label `export`. */
export const FAMILIES: Family[] = [
  {
    name: 'rivet_export_rows_total',
    type: 'counter',
    help: 'Rows the last run wrote.',
    value: (m) => m.rows,
  },
  {
    name: 'rivet_export_bytes_total',
    type: 'counter',
    help: 'Bytes of data files the last run wrote.',
    value: (m) => m.bytes,
  },
  {
    name: 'rivet_export_parts_total',
    type: 'counter',
    help: 'Data files (parts) the last run wrote.',
    value: (m) => m.parts,
  },
  {
    name: 'rivet_export_duration_seconds',
    type: 'gauge',
    help: 'How long the last run took.',
    value: (m) => m.durationSeconds,
  },
  {
    name: 'rivet_export_success',
    type: 'gauge',
    help: '1 when the last run succeeded, 0 when it failed.',
    value: (m) => m.status === 'succeeded' ? 1 : 0,
  },
  {
    name: 'rivet_export_last_run_timestamp_seconds',
    type: 'gauge',
    help: 'When the last run ended, in seconds since the Unix epoch.',
    value: (m) => m.finishedAt.getTime() / 1000,
  },
  {
    name: 'rivet_export_last_success_timestamp_seconds',
    type: 'gauge',
    help: 'When the last successful run ended, in seconds since the Unix epoch.',
    value: (m) => m.status === 'succeeded' ? m.finishedAt.getTime() / 1000 : undefined,
  },
  {
    name: 'rivet_export_retries_total',
    type: 'counter',
    help: 'Requests the last run retried after a transient failure.',
    value: (m) => m.retries,
  },
  {
    name: 'rivet_export_credential_refreshes_total',
    type: 'counter',
    help: 'Times the last run fetched its credentials anew.',
    value: (m) => m.credentialRefreshes,
  },
]

/** One sample: a metric of one export. */
interface Sample {
  name: string
  export: string
  value: number
}

function samplesOf(m: ExportMetrics): Sample[] {
  return FAMILIES.flatMap((f) => {
    const value = f.value(m)
    return value === undefined ? [] : [{ name: f.name, export: m.export, value }]
  })
}

/** A label value as the format quotes it. */
function quote(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n')}"`
}

/**
 * The exposition of `samples`: each family's HELP and TYPE, then its samples. With `labelled`
 * false the samples carry no `export` label (a Pushgateway group holds it in its URL).
 */
function exposition(samples: Sample[], labelled: boolean): string {
  const lines: string[] = []
  for (const family of FAMILIES) {
    const own = samples.filter((s) => s.name === family.name)
    if (!own.length) continue
    lines.push(`# HELP ${family.name} ${family.help}`, `# TYPE ${family.name} ${family.type}`)
    for (const s of own) lines.push(`${s.name}${labelled ? `{export=${quote(s.export)}}` : ''} ${s.value}`)
  }
  return lines.join('\n') + '\n'
}

/** The samples of a file this module wrote: `name{export="x"} value` lines; others are skipped. */
function readSamples(text: string): Sample[] {
  const out: Sample[] = []
  for (const line of text.split('\n')) {
    const m = /^(rivet_[a-z_]+)\{export="((?:[^"\\]|\\.)*)"\} (\S+)$/.exec(line)
    if (m) {
      out.push({
        name: m[1],
        export: m[2].replace(/\\(.)/g, (_, c) => c === 'n' ? '\n' : c),
        value: Number(m[3]),
      })
    }
  }
  return out
}

/**
 * Writes the metrics of `runs` to `path`, keeping what the file held for other exports (and the
 * last success of an export whose run failed), through a temporary file renamed over it.
 */
export async function writeMetricsFile(path: string, runs: ExportMetrics[]): Promise<void> {
  const previous = readSamples(await readFile(path, 'utf8').catch(() => ''))
  const ran = new Set(runs.map((r) => r.export))
  const kept = previous.filter((s) =>
    !ran.has(s.export) ||
    (s.name === 'rivet_export_last_success_timestamp_seconds' &&
      runs.some((r) => r.export === s.export && r.status === 'failed'))
  )
  const temp = `${path}.${randomBytes(4).toString('hex')}.tmp`
  try {
    await writeFile(temp, exposition([...kept, ...runs.flatMap(samplesOf)], true), { mode: 0o644 })
    await rename(temp, path)
  } catch (error) {
    await rm(temp, { force: true })
    throw error
  }
}

/** How long a Pushgateway may take to answer one push. */
const PUSH_TIMEOUT_MS = 10_000

/** A label value in a Pushgateway URL path: plain, or base64url when it has characters a path cannot. */
function groupingValue(label: string, value: string): string {
  if (/^[A-Za-z0-9_.-]+$/.test(value)) return `${label}/${value}`
  const b64 = btoa(String.fromCharCode(...new TextEncoder().encode(value)))
    .replaceAll('+', '-').replaceAll('/', '_')
  return `${label}@base64/${b64 || '='}`
}

/**
 * Pushes each export's metrics to a Pushgateway as the group {job, export}. POST replaces only
 * the metrics it sends, so a failed run leaves the group's last success timestamp as it was.
 * A push that fails is logged and does not change the run's outcome.
 */
export async function pushMetrics(
  url: string,
  job: string,
  runs: ExportMetrics[],
  logger: Logger,
): Promise<void> {
  const base = url.replace(/\/+$/, '')
  for (const run of runs) {
    const target = `${base}/metrics/${groupingValue('job', job)}/${groupingValue('export', run.export)}`
    try {
      const answer = await fetchWithin(target, {
        method: 'POST',
        headers: { 'content-type': 'text/plain; version=0.0.4' },
        body: exposition(samplesOf(run), false),
      }, PUSH_TIMEOUT_MS)
      if (!answer.ok) throw new Error(`HTTP ${answer.status}: ${answer.text.trim().slice(0, 200)}`)
    } catch (error) {
      logger.warn(`metrics: push of export ${run.export} to ${base} failed: ${(error as Error).message}`)
    }
  }
}
