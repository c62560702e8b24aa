/**
 * The seam between batches and bytes. An encoder turns {@link ColumnBatch}es into the bytes of
 * one file; the part roller (src/pipeline/parts.ts) asks it where a file may end.
 */
import type { Column } from '../types/output.ts'
import type { ColumnBatch } from '../types/values.ts'

/** Encodes the rows of one output file. */
export interface FormatEncoder {
  /**
   * Encodes a batch; returns bytes ready to write (possibly none while a row group fills). They
   * may be the encoder's own reused buffer: valid until the next `write` or `end`, so a caller
   * that keeps them copies them.
   */
  write(batch: ColumnBatch): Uint8Array[]
  /** Ends the file (last row group, footer); returns the remaining bytes, valid as `write`'s. */
  end(): Uint8Array[]
  /** True when everything encoded so far has been returned, so the file could end here. */
  readonly atBoundary: boolean
}

/** A file format with its settings applied. */
export interface Format {
  /** File name extension without the dot: `parquet`, `csv.gz`. */
  readonly extension: string
  /** Starts a new file for these columns. */
  create(columns: Column[]): FormatEncoder
}
