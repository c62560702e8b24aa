/**
 * tedious pushes a result as 'row' events; the pipeline pulls batches. {@link RowQueue} is the
 * adapter between the two, with backpressure: once a batch's worth of rows (by count or bytes)
 * waits unread, the request is paused (tedious stops parsing, the socket stops being read, and
 * TCP flow control stops the server) until the reader takes them.
 */
import type { DriverValue } from '../../types/convert.ts'
import type { BatchLimits } from '../source.ts'

/** The part of a tedious `Request` the queue drives. */
export interface PausableRequest {
  on(event: 'row', listener: (columns: { value: unknown }[]) => void): unknown
  pause(): void
  resume(): void
}

/**
 * tedious hands binary values as views of its receive buffers; a copy lets those buffers go
 * while the rows wait in a batch.
 */
function ownValue(value: unknown): DriverValue {
  return value instanceof Uint8Array ? new Uint8Array(value) : value as DriverValue
}

/** A rough size of a value, as the batch builder counts it. */
function sizeOf(value: DriverValue): number {
  if (typeof value === 'string' || value instanceof Uint8Array) return value.length + 4
  return 8
}

/** How long a cancelled read waits for the server to acknowledge the cancel. */
const CANCEL_WAIT_MS = 5_000

/** The rows of one running request, as an async iterator of row chunks in arrival order. */
export class RowQueue implements AsyncIterator<DriverValue[][]> {
  private rows: DriverValue[][] = []
  private bytes = 0
  private finished = false
  private cancelled = false
  private error: unknown
  private wake: (() => void) | undefined
  private settle: () => void = () => {}
  /** Resolves when the request's completion callback has run (after a cancel: the server's acknowledgement). */
  private readonly completed = new Promise<void>((resolve) => this.settle = resolve)

  /**
   * `limits` is how much may wait unread (one batch); `cancel` stops the request on the server
   * when the reader gives up early. The request's completion callback must call {@link finish}.
   */
  constructor(
    private readonly request: PausableRequest,
    private readonly limits: BatchLimits,
    private readonly cancel: () => void,
  ) {
    request.on('row', (columns) => {
      if (this.cancelled) return
      const row = columns.map((c) => ownValue(c.value))
      this.rows.push(row)
      for (const value of row) this.bytes += sizeOf(value)
      if (this.rows.length >= this.limits.rows || this.bytes >= this.limits.bytes) {
        this.request.pause()
        this.notify()
      }
    })
  }

  /** The request completed: successfully, or with the error the reader will get. */
  finish(error?: unknown): void {
    this.finished = true
    this.error = error
    this.notify()
    this.settle()
  }

  private notify(): void {
    const wake = this.wake
    this.wake = undefined
    wake?.()
  }

  /**
   * The next batch's worth of rows, once that much has arrived or the result has ended (the
   * builder emits full batches only, so smaller chunks would only cost round trips); fails with
   * the request's error.
   */
  async next(): Promise<IteratorResult<DriverValue[][]>> {
    while (!this.finished && this.rows.length < this.limits.rows && this.bytes < this.limits.bytes) {
      await new Promise<void>((resolve) => this.wake = resolve)
    }
    if (this.error) throw this.error
    if (this.rows.length === 0) return { done: true, value: undefined }
    const rows = this.rows
    this.rows = []
    this.bytes = 0
    // Let tedious parse the next batch while the caller converts and encodes this one.
    this.request.resume()
    return { done: false, value: rows }
  }

  /**
   * The reader stopped early: cancel the request rather than stream the rest of the result. The
   * connection takes no new request until the server has acknowledged the cancel, so this waits
   * for that (at most {@link CANCEL_WAIT_MS}), with the request resumed so the acknowledgement is
   * read at all.
   */
  async return(): Promise<IteratorResult<DriverValue[][]>> {
    if (!this.finished) {
      this.cancelled = true
      this.rows = []
      this.request.resume()
      this.cancel()
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([
        this.completed,
        new Promise((resolve) => timer = setTimeout(resolve, CANCEL_WAIT_MS)),
      ])
      clearTimeout(timer)
    }
    this.finished = true
    this.rows = []
    return { done: true, value: undefined }
  }
}
