/**
 * The seam between bytes and storage. A destination is rooted at one export's directory (or
 * prefix); the pipeline names objects relative to it and never knows which store it writes to.
 */

/** Where an export's files go. */
export interface Destination {
  /** Where this is, for messages and `--json`: a directory, `s3://bucket/prefix`, `stdout`. */
  readonly location: string
  /**
   * True for a destination that is one byte stream (stdout): one part, no manifest, nothing to
   * roll or remove.
   */
  readonly singleStream: boolean
  /**
   * Opens an object for writing. It becomes visible only when the stream closes successfully;
   * aborting the stream discards it.
   */
  create(path: string): WritableStream<Uint8Array>
  /** Writes a small object (a manifest) whole and atomically. */
  put(path: string, bytes: Uint8Array): Promise<void>
  /** Removes an object; a missing one is not an error. */
  remove(path: string): Promise<void>
}
