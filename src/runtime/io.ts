/**
 * Standard streams. Log lines and the `--json` document are written synchronously so nothing
 * is lost when the process exits right after; data written to stdout goes through the stream
 * with backpressure.
 */
import { writeSync } from 'node:fs'
import process from 'node:process'

function syncWriter(fd: number) {
  return {
    write(text: string): void {
      const bytes = new TextEncoder().encode(text)
      let offset = 0
      while (offset < bytes.length) {
        try {
          offset += writeSync(fd, bytes, offset)
        } catch (error) {
          // A non-blocking pipe can refuse a write for a moment; anything else is fatal.
          if ((error as { code?: string }).code !== 'EAGAIN') throw error
        }
      }
    },
    get isTTY(): boolean {
      return Boolean((fd === 1 ? process.stdout : process.stderr).isTTY)
    },
  }
}

/** Synchronous stderr, for logs and progress. */
export const stderr = syncWriter(2)
/** Synchronous stdout, for documents printed once (`--json`, `schema`, help). */
export const stdout = syncWriter(1)

/** Writes a chunk of data to stdout, resolving when the stream can take more. */
export function writeStdoutData(chunk: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(chunk, (error) => error ? reject(error) : resolve())
  })
}
