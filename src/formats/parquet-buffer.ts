/** The growable byte buffer Parquet pages are written into, reused from page to page. */
import { Buffer } from 'node:buffer'

/** Bytes written so far in `bytes[0..length)`; `ensure` before writing past the end. */
export class PageBuffer {
  bytes: Buffer
  view: DataView
  length = 0

  constructor(size = 1 << 16) {
    this.bytes = Buffer.allocUnsafe(size)
    this.view = new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength)
  }

  /** Makes room for `extra` more bytes. */
  ensure(extra: number): void {
    if (this.length + extra <= this.bytes.length) return
    const next = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.length + extra))
    this.bytes.copy(next, 0, 0, this.length)
    this.bytes = next
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength)
  }

  /** The bytes written, valid until the next write; the buffer starts over. */
  take(): Uint8Array {
    const out = this.bytes.subarray(0, this.length)
    this.length = 0
    return out
  }
}

/**
 * The buffers one file's column chunks are written through, kept for the whole file: a chunk
 * is written synchronously and its bytes are copied out before the next one starts.
 */
export interface PageBuffers {
  /** PLAIN values of the current page (or the dictionary). */
  values: PageBuffer
  /** Page bodies built outside the value encoder (dictionary indexes). */
  indexes: PageBuffer
  levels: PageBuffer
  header: PageBuffer
}

/** Buffers for a new file. */
export function pageBuffers(): PageBuffers {
  return {
    values: new PageBuffer(),
    indexes: new PageBuffer(),
    levels: new PageBuffer(),
    header: new PageBuffer(64),
  }
}
