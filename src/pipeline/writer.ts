/**
 * What every slice of a run writes with: the destination, the part names numbered across the
 * slices, the observers that see each batch, and the running totals for progress.
 */
import type { Destination } from '../destinations/destination.ts'
import { type ColumnRange, type Source } from '../sources/source.ts'
import type { ColumnBatch } from '../types/values.ts'
import { metaAppender } from './meta.ts'
import type { PartRecord, PartTotals } from './parts.ts'
import type { ExportPlan } from './plan.ts'
import { openPartSink } from './sink.ts'
import { Watchdog } from './stall.ts'

/**
 * Rows and bytes per batch pulled from the source. 2 MB rather than 8 keeps wide rows' batches
 * (and their CSV bytes) small: wide_text to CSV peaked at 146 instead of 204 MB RSS. Narrow rows
 * reach 5,000 rows first, at about 0.5 MB: 12 to 15 MB less peak RSS than 10,000 (PostgreSQL and
 * MariaDB to Parquet, 1M rows) for the same CPU. CSV records count only bytes.
 */
export const BATCH_LIMITS = { rows: 5_000, bytes: 2 * 1024 * 1024 }

/** Something that sees every batch before it is written. */
export interface BatchObserver {
  observe(batch: ColumnBatch): void
  /** Whether it reads the batch's values, not only its row count. */
  readonly readsValues: boolean
}

/** Writes the slices of one run into parts. */
export class RunWriter {
  /** Rows and bytes of every slice so far, for progress. */
  readonly totals: PartTotals = { rows: 0, bytes: 0 }
  /** Every part the slices of this process wrote: what a failed run removes. */
  readonly written: PartRecord[] = []
  /** Adds the `meta_columns` to a batch of the query's columns. */
  private readonly appendMeta: ((batch: ColumnBatch) => ColumnBatch) | undefined

  constructor(
    readonly destination: Destination,
    private readonly plan: ExportPlan,
    private readonly runId: string,
    /** When the run started: `_rivet_exported_at`. */
    startedAt: Date,
    /** The number of the next part: parts are numbered across the slices of a run. */
    public nextPart: number,
    /** See every batch before it is written (cursor tracking, quality rules). */
    private readonly observers: BatchObserver[] = [],
  ) {
    this.appendMeta = plan.meta.length ? metaAppender(plan.meta, plan.columns, runId, startedAt) : undefined
  }

  /** Adds an observer for the slices still to come. */
  observe(observer: BatchObserver): void {
    this.observers.push(observer)
  }

  /**
   * Reads one slice of the query (all of it without a range) into parts of its own; on failure
   * those parts are removed and the error rethrown. A stream of batches instead of a source is
   * written as it is (a change feed): the range does not apply to it.
   */
  async slice(
    source: Source | ReadableStream<ColumnBatch>,
    range: ColumnRange | undefined,
    signal: AbortSignal,
    filter?: TransformStream<ColumnBatch, ColumnBatch>,
  ): Promise<PartRecord[]> {
    const sink = openPartSink(
      this.destination,
      this.plan,
      (_index, ext) => `${this.plan.name}-${this.runId}-${String(this.nextPart++).padStart(5, '0')}.${ext}`,
    )
    // CSV that nothing else reads may come as the source's own CSV records.
    const csv = this.plan.formatName === 'csv' && !filter && !this.plan.partitions &&
      !this.plan.meta.length &&
      !this.observers.some((o) => o.readsValues)
    const rows = source instanceof ReadableStream
      ? source
      : source.read({ query: this.plan.query, columns: this.plan.columns, range, csv }, BATCH_LIMITS)
    // A change feed may rightly wait for changes; a query's rows are watched for stalls.
    const watchdog = source instanceof ReadableStream
      ? undefined
      : new Watchdog(this.plan.name, this.plan.stallTimeoutMs)
    const watched = <T>(work: Promise<T>) => watchdog ? watchdog.race(work) : work
    try {
      await watched((filter ? rows.pipeThrough(filter) : rows).pipeTo(
        new WritableStream({
          write: async (batch) => {
            watchdog?.waitOn('destination')
            for (const observer of this.observers) observer.observe(batch)
            const before = { ...sink.totals }
            await sink.write(this.appendMeta ? this.appendMeta(batch) : batch)
            this.totals.rows += sink.totals.rows - before.rows
            this.totals.bytes += sink.totals.bytes - before.bytes
            watchdog?.waitOn('source')
          },
        }),
        { signal: watchdog ? AbortSignal.any([signal, watchdog.controller.signal]) : signal },
      ))
      watchdog?.waitOn('destination')
      const parts = await watched(sink.finish())
      this.written.push(...parts)
      return parts
    } catch (error) {
      // A stalled store may not answer the cleanup either: it gets stall_timeout, then the run
      // ends anyway (an unfinished upload is never visible).
      await (watchdog ? watchdog.bounded(sink.abort(error)) : sink.abort(error))
      // Whatever broke while stopping on a signal, the signal is the cause the user needs to see.
      throw signal.aborted ? signal.reason : error
    } finally {
      watchdog?.stop()
    }
  }
}
