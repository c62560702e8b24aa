/**
 * Stall detection: no job may hang. A slice of an export is watched while it runs; when neither
 * the source has delivered a batch nor the destination has taken one for `stall_timeout`, the
 * slice fails naming the side it was waiting on: the source (exit 3) while it waited for rows,
 * the destination (exit 5) while a write or the final upload was under way. The slice's usual
 * cleanup then runs (its parts removed, no manifest, the state as it was).
 */
import { destinationError, type RivetError, sourceError } from '../errors.ts'

/** `stall_timeout` when the config gives none: 10 minutes. */
export const DEFAULT_STALL_TIMEOUT_S = 600

/** Which side a slice is waiting on. */
type Side = 'source' | 'destination'

/** Watches one slice; {@link Watchdog.race} fails when it stalls. */
export class Watchdog {
  private side: Side = 'source'
  private last = performance.now()
  private readonly timer: ReturnType<typeof setInterval>
  private fail!: (error: RivetError) => void
  /** Rejects when the slice stalls; never resolves. */
  private readonly stalled: Promise<never>
  /** Aborted when the slice stalls, to stop the streams still waiting. */
  readonly controller = new AbortController()

  constructor(private readonly exportName: string, private readonly timeoutMs: number) {
    this.stalled = new Promise<never>((_, reject) => this.fail = reject)
    // A rejection nobody awaits yet must not count as unhandled.
    this.stalled.catch(() => {})
    this.timer = setInterval(() => this.check(), Math.min(1000, Math.max(50, timeoutMs / 4)))
  }

  /** The slice now waits on `side`; the switch itself is progress (a batch came or went). */
  waitOn(side: Side): void {
    this.side = side
    this.last = performance.now()
  }

  /** `work`, or the stall error if the slice stalls first. */
  race<T>(work: Promise<T>): Promise<T> {
    return Promise.race([work, this.stalled])
  }

  /** `work`, waited for at most the stall timeout. */
  async bounded(work: Promise<void>): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined
    await Promise.race([work, new Promise<void>((resolve) => timer = setTimeout(resolve, this.timeoutMs))])
    clearTimeout(timer)
  }

  /** Stops watching. */
  stop(): void {
    clearInterval(this.timer)
  }

  private check(): void {
    const idle = performance.now() - this.last
    if (idle < this.timeoutMs) return
    this.stop()
    const seconds = `${Math.round(this.timeoutMs / 100) / 10} s`
    const error = this.side === 'source'
      ? sourceError(
        `export ${this.exportName}: the source sent no rows for ${seconds} (stall_timeout); nothing was ` +
          'committed. Check the query and the database (locks, a slow plan), or raise stall_timeout',
        'SOURCE_STALLED',
      )
      : destinationError(
        `export ${this.exportName}: the destination took no data for ${seconds} (stall_timeout); nothing ` +
          'was committed. Check the store and the network to it, or raise stall_timeout',
        'DESTINATION_STALLED',
      )
    this.controller.abort(error)
    this.fail(error)
  }
}
