/**
 * Streaming an object to a store in parts, the pattern every cloud shares (S3 multipart, GCS
 * resumable, Azure blocks): bytes are cut into parts of `partSize`, up to `concurrency` parts
 * upload at once, and memory stays bounded by their product. An object smaller than one part
 * goes up in a single request. The object becomes visible only when the writable closes.
 */

/** What one store does with the parts of one object. */
export interface PartUpload {
  /** Uploads a small object whole, in one request. */
  putWhole(body: Uint8Array): Promise<void>
  /** Starts a multi-part upload (before the first part). */
  begin(): Promise<void>
  /** Uploads part `index` (0-based) holding bytes from `offset`; `last` marks the final part. */
  uploadPart(index: number, offset: number, body: Uint8Array, last: boolean): Promise<void>
  /** Makes the object visible from the uploaded parts. */
  complete(parts: number, size: number): Promise<void>
  /** Discards everything uploaded so far; must not throw. */
  abort(): Promise<void>
}

/** Part sizing and parallelism. */
export interface PartOptions {
  /** Bytes per part (the first ones; see `growAfter`). */
  partSize: number
  /** Parts in flight at once; 1 for stores that need parts in order (GCS). */
  concurrency: number
  /**
   * Stores cap the number of parts (S3: 10,000). The part size doubles after every `growAfter`
   * parts, so an object of unknown length never runs out of parts. Undefined: never grows.
   */
  growAfter?: number
}

/** A writable that uploads through `upload` and commits on close. */
export function multipartWritable(upload: PartUpload, options: PartOptions): WritableStream<Uint8Array> {
  // A part's buffer is reused once its upload has settled. A new buffer per part left every old
  // one to the garbage collector, and Bun let them pile up: 24 parts of 16 MB added 150-220 MB
  // of RSS, ~55 MB with reuse (tests/destinations/s3.test.ts).
  const spare: Uint8Array[] = []
  const take = (size: number): Uint8Array => {
    const reused = spare.pop()
    if (reused?.length === size) return reused
    // Part sizes only grow, so a spare of another size is of no more use.
    spare.length = 0
    return new Uint8Array(size)
  }
  let buffer = take(options.partSize)
  let filled = 0
  let index = 0
  let offset = 0
  let begun = false
  const inFlight = new Set<Promise<void>>()
  let failure: unknown

  const sizeOf = (i: number) =>
    options.growAfter ? options.partSize * 2 ** Math.floor(i / options.growAfter) : options.partSize

  async function send(last: boolean): Promise<void> {
    if (!begun) {
      await upload.begin()
      begun = true
    }
    const full = buffer
    const part = upload.uploadPart(index, offset, full.subarray(0, filled), last).then(
      () => void spare.push(full),
      (error) => void (failure ??= error),
    )
    index++
    offset += filled
    filled = 0
    if (!last) buffer = take(sizeOf(index))
    const tracked = part.finally(() => inFlight.delete(tracked))
    inFlight.add(tracked)
    // Backpressure: wait while the maximum number of parts is in flight.
    while (inFlight.size >= options.concurrency) await Promise.race(inFlight)
    if (failure) throw failure
  }

  let aborted = false
  async function discard(): Promise<void> {
    await Promise.allSettled(inFlight)
    if (begun && !aborted) {
      aborted = true
      await upload.abort()
    }
  }

  // A stream that errors does not call `abort` afterwards, so every failure discards here.
  return new WritableStream<Uint8Array>({
    async write(chunk) {
      try {
        let at = 0
        while (at < chunk.length) {
          // A full buffer is only sent once more bytes arrive, so the final part is known as last.
          if (filled === buffer.length) await send(false)
          const n = Math.min(buffer.length - filled, chunk.length - at)
          buffer.set(chunk.subarray(at, at + n), filled)
          filled += n
          at += n
        }
      } catch (error) {
        await discard()
        throw error
      }
    },
    async close() {
      try {
        if (!begun) return await upload.putWhole(buffer.subarray(0, filled))
        await send(true)
        await Promise.all(inFlight)
        if (failure) throw failure
        await upload.complete(index, offset)
      } catch (error) {
        await discard()
        throw error
      }
    },
    abort: discard,
  })
}
