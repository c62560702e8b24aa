/** Standard output as a destination: one stream of bytes, for piping into another program. */
import { writeStdoutData } from '../runtime/io.ts'
import { configError, type RivetError } from '../errors.ts'
import type { Destination } from './destination.ts'

/** Reading back from stdout is a usage mistake: what went to a pipe was never kept. */
function nothingKept(): RivetError {
  return configError(
    'the stdout destination keeps nothing to read back (no parts, no manifest); ' +
      'validate exports written to local, s3, gcs or azure',
    'USAGE',
  )
}

/** Writes the single part to stdout. */
export class StdoutDestination implements Destination {
  readonly location = 'stdout'
  readonly singleStream = true

  create(): WritableStream<Uint8Array> {
    return new WritableStream<Uint8Array>({ write: (chunk) => writeStdoutData(chunk) })
  }

  credentials(): Promise<undefined> {
    return Promise.resolve(undefined)
  }

  check(): Promise<void> {
    return Promise.resolve()
  }

  put(): Promise<void> {
    return Promise.resolve()
  }

  remove(): Promise<void> {
    return Promise.resolve()
  }

  list(): Promise<string[]> {
    return Promise.reject(nothingKept())
  }

  read(): Promise<undefined> {
    return Promise.reject(nothingKept())
  }

  readVersioned(): Promise<undefined> {
    return Promise.reject(nothingKept())
  }

  putIfVersion(): Promise<undefined> {
    return Promise.reject(nothingKept())
  }
}
