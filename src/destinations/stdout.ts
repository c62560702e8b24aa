/** Standard output as a destination: one stream of bytes, for piping into another program. */
import { writeStdoutData } from '../runtime/io.ts'
import type { Destination } from './destination.ts'

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
}
