/**
 * Where a run's batches go: one {@link PartWriter}, or one per hive partition with
 * `partition_by`, and with `skip_empty` no data file at all for a run that exported no rows.
 */
import type { Destination } from '../destinations/destination.ts'
import type { ColumnBatch } from '../types/values.ts'
import type { PartRecord, PartTotals } from './parts.ts'
import { PartitionedWriter } from './partitions.ts'
import { PartWriter } from './parts.ts'
import type { ExportPlan } from './plan.ts'

/** Takes a run's batches and writes them as parts. */
export interface PartSink {
  /** Rows and bytes written so far, for progress. */
  readonly totals: PartTotals
  /** Encodes one batch. */
  write(batch: ColumnBatch): Promise<void>
  /** Ends the open parts; returns every part written, as the manifest lists them. */
  finish(): Promise<PartRecord[]>
  /** Discards the open parts and removes every part already written. */
  abort(reason: unknown): Promise<void>
}

/**
 * `skip_empty`: a run with no rows ends with no parts, where a plain writer would write one
 * file holding only the header or schema. The run still writes its manifest (with no parts),
 * so `validate` and the state see that the run happened and found nothing.
 */
class SkipEmpty implements PartSink {
  constructor(private readonly inner: PartSink) {}

  get totals(): PartTotals {
    return this.inner.totals
  }

  write(batch: ColumnBatch): Promise<void> {
    return this.inner.write(batch)
  }

  async finish(): Promise<PartRecord[]> {
    if (this.inner.totals.rows > 0) return await this.inner.finish()
    // A source may have sent empty batches that opened a part: discard it.
    await this.inner.abort(new Error('no rows to write'))
    return []
  }

  abort(reason: unknown): Promise<void> {
    return this.inner.abort(reason)
  }
}

/**
 * The sink of one run of `plan`, taking batches of its output columns. Part `index` is named by `name`; partitioned parts go into their
 * partition's directory. A partitioned run with no rows has no partition to write into, so it
 * writes no file, as with `skip_empty`.
 */
export function openPartSink(
  destination: Destination,
  plan: ExportPlan,
  name: (index: number, extension: string) => string,
): PartSink {
  const spec = plan.partitions
  const sink = spec
    ? new PartitionedWriter(destination, plan.format, plan.output, spec, name, plan.maxFileSize)
    : new PartWriter(destination, plan.format, plan.output, name, plan.maxFileSize)
  return plan.skipEmpty ? new SkipEmpty(sink) : sink
}
