/**
 * The progress line on a TTY: rows, bytes, rows/s and an ETA from the planner's estimate.
 * Redrawn in place a few times a second; nothing is printed when stderr is not a terminal.
 */
import { stderr } from '../runtime/io.ts'

/** Human-readable bytes: `12.3 MB`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds))
  return `${Math.floor(s / 3600)}:${String(Math.floor(s / 60) % 60).padStart(2, '0')}:${
    String(s % 60).padStart(2, '0')
  }`
}

/** What the progress line reads from. */
export interface ProgressSource {
  rows: number
  bytes: number
}

/** Starts redrawing a progress line for `label`; returns a function that clears it. */
export function showProgress(
  label: string,
  totals: ProgressSource,
  estimate: number | undefined,
): () => void {
  if (!stderr.isTTY) return () => {}
  const started = performance.now()
  const draw = () => {
    const seconds = (performance.now() - started) / 1000
    const rate = seconds > 0 ? totals.rows / seconds : 0
    const eta = estimate && rate > 0 && estimate > totals.rows
      ? ` ETA ${formatDuration((estimate - totals.rows) / rate)}`
      : ''
    const line = `${label}: ${totals.rows.toLocaleString('en-US')} rows  ${formatBytes(totals.bytes)}  ${
      Math.round(rate).toLocaleString('en-US')
    } rows/s${eta}`
    stderr.write(`\r\x1b[2K${line}`)
  }
  const timer = setInterval(draw, 250)
  return () => {
    clearInterval(timer)
    stderr.write('\r\x1b[2K')
  }
}
