/**
 * The seam between bytes and storage. A destination is rooted at one export's directory (or
 * prefix); the pipeline names objects relative to it and never knows which store it writes to.
 */

/** Which credential a destination uses, for `doctor`, with nothing secret in it. */
export interface CredentialInfo {
  /** Where it came from: `env static (RIVET_AWS_ACCESS_KEY)`, `profile dev (sso)`, `anonymous`. */
  source: string
  /** A masked identity: `AKIA****ABCD`, an account name, a service account email. */
  identity?: string
  /** When it stops working, for temporary credentials. */
  expiresAt?: Date
  /** True when rivet renews it before `expiresAt` (a profile or role), false for fixed keys. */
  refreshable?: boolean
  /** What a user does to replace it once it has expired, e.g. which command to run. */
  renew?: string
}

/** A small object's bytes and the version a conditional write compares against. */
export interface Versioned {
  bytes: Uint8Array
  version: string
}

/** An object as a detailed listing shows it. */
export interface ObjectInfo {
  /** Relative to the export root, as `list` names it. */
  path: string
  size: number
  /** When it was last written: how `rivet gc` tells an abandoned part from one being written. */
  modified: Date
}

/**
 * An upload begun and never completed nor aborted: an S3 multipart upload, a local temporary
 * file. A run killed mid-upload leaves one behind, invisible to `list`, still taking space.
 */
export interface IncompleteUpload {
  /** The object it would have become, relative to the export root. */
  path: string
  /** The store's id for it (an S3 upload id, a temporary file's name). */
  id: string
  started: Date
}

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
   * Checks, before any data is read, that the destination exists and the credentials are
   * accepted, so a missing bucket fails the run at once with nothing exported.
   */
  check(): Promise<void>
  /**
   * Opens an object for writing. It becomes visible only when the stream closes successfully;
   * aborting the stream discards it.
   */
  create(path: string): WritableStream<Uint8Array>
  /** Writes a small object (a manifest) whole and atomically. */
  put(path: string, bytes: Uint8Array): Promise<void>
  /** Removes an object; a missing one is not an error. */
  remove(path: string): Promise<void>
  /**
   * Every object under `dir` (a directory of the export root such as `_rivet/runs/`, or `''`
   * for all), at any depth, as paths relative to the export root, sorted. A missing directory
   * lists as empty; a missing bucket or container is a destination error.
   */
  list(dir: string): Promise<string[]>
  /**
   * Streams an object's bytes, or resolves to undefined when it does not exist. Streaming lets
   * `validate` hash a part of many gigabytes in flat memory.
   */
  read(path: string): Promise<ReadableStream<Uint8Array> | undefined>
  /**
   * Reads a small object (a state file) whole with its version: an ETag, a generation, a content
   * hash. Undefined when it does not exist.
   */
  readVersioned(path: string): Promise<Versioned | undefined>
  /**
   * Writes a small object whole only if it is still at `version` (undefined: only if it does not
   * exist), so two writers cannot both win. Resolves to the new version, or undefined when
   * another writer changed the object first.
   */
  putIfVersion(path: string, bytes: Uint8Array, version: string | undefined): Promise<string | undefined>
  /** The credential in use, resolved now; undefined for destinations that need none. */
  credentials(): Promise<CredentialInfo | undefined>
  /** `list` with each object's size and last write; absent for stdout. */
  listObjects?(dir: string): Promise<ObjectInfo[]>
  /**
   * The incomplete uploads under `dir`, at any depth. Absent where none can be listed (GCS
   * resumable sessions are not listable and expire within a week; Azure discards uncommitted
   * blocks after a week).
   */
  listIncomplete?(dir: string): Promise<IncompleteUpload[]>
  /** Discards an incomplete upload and what it holds; one already gone is not an error. */
  abortIncomplete?(upload: IncompleteUpload): Promise<void>
}
