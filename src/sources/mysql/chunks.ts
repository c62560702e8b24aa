/**
 * A mysql2 command's rows handed over in chunks. mysql2's `stream()` is a Readable that takes
 * each row through `push` and its async iterator through a promise (~8% of a MariaDB read);
 * here rows gather in arrays as the driver parses them, and the connection pauses while
 * {@link MAX_READY} full chunks wait (the same backpressure, by the chunk).
 */
import type { EventEmitter } from 'node:events'
import type { DriverValue } from '../../types/convert.ts'

/** Full chunks that may wait unread before the connection pauses. */
const MAX_READY = 2

/** The parts of a mysql2 connection that pace a result. */
export interface Pausable {
  pause(): void
  resume(): void
}

/**
 * The rows of `command` (an execute or query command emitting `result`, `end` and `error`) in
 * chunks of `chunkRows`, the last one shorter. `return` stops taking rows; dropping the
 * connection is the caller's.
 */
export function rowChunks(
  command: EventEmitter,
  connection: Pausable,
  chunkRows: number,
): AsyncIterator<DriverValue[][]> {
  const ready: DriverValue[][][] = []
  let filling: DriverValue[][] = []
  let ended = false
  let failure: { error: unknown } | undefined
  let paused = false
  let wake: (() => void) | undefined
  const notify = () => {
    const resolve = wake
    wake = undefined
    resolve?.()
  }
  const onRow = (row: DriverValue[]) => {
    filling.push(row)
    if (filling.length < chunkRows) return
    ready.push(filling)
    filling = []
    if (ready.length >= MAX_READY && !paused) {
      paused = true
      connection.pause()
    }
    notify()
  }
  const onEnd = () => {
    if (filling.length) ready.push(filling)
    filling = []
    ended = true
    notify()
  }
  const onError = (error: unknown) => {
    failure = { error }
    notify()
  }
  command.on('result', onRow)
  command.on('end', onEnd)
  command.on('error', onError)
  // The error listener stays: an abandoned command still reports the dropped connection, and
  // an `error` event nobody listens to would end the process.
  const stop = () => {
    command.off('result', onRow)
    command.off('end', onEnd)
  }
  return {
    next: async () => {
      while (!ready.length && !ended && !failure) await new Promise<void>((resolve) => wake = resolve)
      if (failure) {
        stop()
        throw failure.error
      }
      const chunk = ready.shift()
      if (!chunk) {
        stop()
        return { done: true, value: undefined }
      }
      if (paused && ready.length < MAX_READY) {
        paused = false
        connection.resume()
      }
      return { done: false, value: chunk }
    },
    return: () => {
      stop()
      return Promise.resolve({ done: true, value: undefined })
    },
  }
}
