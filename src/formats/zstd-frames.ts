/**
 * Cutting a zstd stream into its frames as the bytes arrive, from the frame and block headers
 * alone (RFC 8878, section 3.1). rivet writes compressed CSV as one frame per batch, and Deno's
 * node:zlib zstd stream stops at the end of the first frame, so a reader that wants the whole
 * stream decompresses it frame by frame. Only one frame is held at a time.
 */

const ZSTD_MAGIC = 0xfd2fb528
/** Skippable frames have magic numbers 0x184D2A50 to 0x184D2A5F. */
const SKIPPABLE_MAGIC = 0x184d2a50
const DICTIONARY_ID_BYTES = [0, 1, 2, 4]
const CONTENT_SIZE_BYTES = [0, 2, 4, 8]
const RESERVED_BLOCK = 3
const RLE_BLOCK = 1

/** A stream that is not zstd, or a frame that breaks the format. */
export class ZstdFormatError extends Error {}

/** Splits pushed bytes into whole zstd frames; skippable frames are dropped. */
export class ZstdFrames {
  private buffer = new Uint8Array(64 * 1024)
  private length = 0
  /** Bytes at the start of `buffer` that belong to frames already handed out. */
  private consumed = 0
  /** End of the current frame's known structure: its header, then each block read so far. */
  private scanned = 0
  /** The current frame, once its header has been read. */
  private frame: { checksum: boolean } | { skip: true } | undefined
  /** The current frame's last block has been read; it ends at `scanned`. */
  private lastBlock = false

  /** Adds bytes; returns the frames they complete, in order (views valid until the next push). */
  push(chunk: Uint8Array): Uint8Array[] {
    this.compact()
    this.append(chunk)
    const frames: Uint8Array[] = []
    for (;;) {
      const end = this.frameEnd(this.consumed)
      if (end === undefined) break
      if (!('skip' in this.frame!)) frames.push(this.buffer.subarray(this.consumed, end))
      this.consumed = end
      this.frame = undefined
      this.lastBlock = false
    }
    return frames
  }

  /** Whether the bytes so far end exactly at a frame boundary. */
  get complete(): boolean {
    return this.length === this.consumed
  }

  /** Moves the bytes of the unfinished frame to the front, over the frames handed out last time. */
  private compact(): void {
    if (this.consumed === 0) return
    this.buffer.copyWithin(0, this.consumed, this.length)
    this.length -= this.consumed
    this.scanned -= this.consumed
    this.consumed = 0
  }

  private append(chunk: Uint8Array): void {
    if (this.length + chunk.length > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, this.length + chunk.length))
      grown.set(this.buffer.subarray(0, this.length))
      this.buffer = grown
    }
    this.buffer.set(chunk, this.length)
    this.length += chunk.length
  }

  /** Where the frame starting at `start` ends, once all of it is here. */
  private frameEnd(start: number): number | undefined {
    const bytes = this.buffer
    if (!this.frame) {
      if (this.length - start < 5) return undefined
      const view = new DataView(bytes.buffer, bytes.byteOffset + start, this.length - start)
      const magic = view.getUint32(0, true)
      if ((magic & 0xfffffff0) >>> 0 === SKIPPABLE_MAGIC) {
        if (view.byteLength < 8) return undefined
        this.frame = { skip: true }
        this.scanned = start + 8 + view.getUint32(4, true)
        this.lastBlock = true
      } else if (magic === ZSTD_MAGIC) {
        const descriptor = bytes[start + 4]
        const singleSegment = (descriptor >> 5) & 1
        const contentSizeFlag = descriptor >> 6
        const contentSize = contentSizeFlag === 0 ? singleSegment : CONTENT_SIZE_BYTES[contentSizeFlag]
        this.frame = { checksum: ((descriptor >> 2) & 1) === 1 }
        this.scanned = start + 5 + (singleSegment ? 0 : 1) + DICTIONARY_ID_BYTES[descriptor & 3] + contentSize
      } else {
        throw new ZstdFormatError(`not a zstd frame (magic number 0x${magic.toString(16)})`)
      }
    }
    while (!this.lastBlock) {
      if (this.length - this.scanned < 3) return undefined
      const header = bytes[this.scanned] | (bytes[this.scanned + 1] << 8) | (bytes[this.scanned + 2] << 16)
      const type = (header >> 1) & 3
      if (type === RESERVED_BLOCK) throw new ZstdFormatError('a zstd block of the reserved type')
      // An RLE block holds one byte, repeated Block_Size times when decompressed.
      this.scanned += 3 + (type === RLE_BLOCK ? 1 : header >>> 3)
      if (header & 1) {
        this.lastBlock = true
        if ('checksum' in this.frame! && this.frame.checksum) this.scanned += 4
      }
    }
    return this.length >= this.scanned ? this.scanned : undefined
  }
}
