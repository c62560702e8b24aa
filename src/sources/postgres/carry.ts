/**
 * What a COPY chunk leaves unfinished (the start of a row or tuple), held until the next chunk
 * completes it.
 */
export class Carry {
  private held: Uint8Array | undefined

  /** Whether nothing is held: the data so far ended on a boundary. */
  get empty(): boolean {
    return this.held === undefined
  }

  /** The chunk with the held bytes in front of it; nothing stays held. */
  join(chunk: Uint8Array): Uint8Array {
    const held = this.held
    if (!held) return chunk
    this.held = undefined
    const data = new Uint8Array(held.length + chunk.length)
    data.set(held)
    data.set(chunk, held.length)
    return data
  }

  /** Holds bytes `start` to `end` of `data`, as a copy: a chunk may be the socket's memory. */
  keep(data: Uint8Array, start: number, end: number): void {
    this.held = new Uint8Array(data.subarray(start, end))
  }
}
