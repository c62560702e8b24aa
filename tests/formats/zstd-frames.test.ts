/**
 * The zstd frame splitter against frames from the runtime's zstd (compressed, RLE and raw
 * blocks, one or several blocks, a content checksum) and hand-built ones for the header forms
 * zstd picks less often (window descriptor, dictionary id, 8-byte content size, skippable
 * frames), pushed whole, a byte at a time and in uneven pieces.
 */
import { describe, expect, test } from 'bun:test'
import { randomBytes } from 'node:crypto'
import zlib from 'node:zlib'
import { ZstdFormatError, ZstdFrames } from '../../src/formats/zstd-frames.ts'
import { zstd } from '../../src/formats/compress.ts'

const text = (s: string) => new TextEncoder().encode(s)

/** A frame of one raw block, with the header fields given. */
function rawFrame(payload: Uint8Array, header: number[]): Uint8Array {
  const block = (payload.length << 3) | 1
  return Uint8Array.from([
    0x28,
    0xb5,
    0x2f,
    0xfd,
    ...header,
    block & 0xff,
    (block >> 8) & 0xff,
    block >> 16,
    ...payload,
  ])
}

/** A skippable frame (magic 0x184D2A5x) carrying `size` bytes. */
function skippable(size: number): Uint8Array {
  const frame = new Uint8Array(8 + size).fill(0xee)
  new DataView(frame.buffer).setUint32(0, 0x184d2a53, true)
  new DataView(frame.buffer).setUint32(4, size, true)
  return frame
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** Pushes `bytes` in pieces of the given sizes (cycled); returns copies of the frames. */
function split(bytes: Uint8Array, sizes: number[]): { frames: Uint8Array[]; complete: boolean } {
  const splitter = new ZstdFrames()
  const frames: Uint8Array[] = []
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const size = sizes[i % sizes.length]
    for (const frame of splitter.push(bytes.subarray(at, at + size))) frames.push(frame.slice())
    at += size
  }
  return { frames, complete: splitter.complete }
}

const PIECES = [[1 << 30], [1], [7, 1, 3000, 2, 65536, 5]]

describe('ZstdFrames', () => {
  const inputs = [
    text('id,name\r\n1,a\r\n'),
    new Uint8Array(300_000).fill(0x61), // RLE blocks
    new Uint8Array(randomBytes(200_000)), // raw blocks
    new Uint8Array(0),
    text('2,"b\r\nc"\r\n'.repeat(30_000)), // several compressed blocks
  ]
  const withChecksum = new Uint8Array(
    zlib.zstdCompressSync(text('checked\r\n'), { params: { [zlib.constants.ZSTD_c_checksumFlag]: 1 } }),
  )
  const frames = [...inputs.map((input) => new Uint8Array(zstd(input))), withChecksum]
  const expected = [...inputs, text('checked\r\n')]

  for (const sizes of PIECES) {
    test(`frames from the runtime's zstd come out whole, in pieces of ${sizes.join('/')}`, () => {
      const bytes = concat([frames[0], skippable(10), ...frames.slice(1), skippable(0)])
      const out = split(bytes, sizes)
      expect(out.complete).toBe(true)
      expect(out.frames.map((f) => f.length)).toEqual(frames.map((f) => f.length))
      expect(out.frames.map((f) => new Uint8Array(zlib.zstdDecompressSync(f)))).toEqual(expected)
    })
  }

  test('header forms: window descriptor, dictionary ids of 1, 2 and 4 bytes, content sizes of 2 to 8', () => {
    const payload = text('hello')
    const forms = [
      rawFrame(payload, [0x00, 0x50]), // window descriptor, no content size
      rawFrame(payload, [0x01, 0x50, 7]), // 1-byte dictionary id
      rawFrame(payload, [0x02, 0x50, 7, 0]), // 2-byte dictionary id
      rawFrame(payload, [0x23, 7, 0, 0, 0, 5]), // single segment, 4-byte dictionary id, 1-byte size
      rawFrame(payload, [0x60, 0, 0]), // single segment, 2-byte content size (stored minus 256)
      rawFrame(payload, [0xa0, 5, 0, 0, 0]), // single segment, 4-byte content size
      rawFrame(payload, [0xe0, 5, 0, 0, 0, 0, 0, 0, 0]), // single segment, 8-byte content size
    ]
    for (const sizes of PIECES) {
      const out = split(concat(forms), sizes)
      expect(out.complete).toBe(true)
      expect(out.frames).toEqual(forms)
    }
    // The ones without a dictionary decompress: the header was read as zstd reads it.
    for (const frame of [forms[0], forms[5], forms[6]]) {
      expect(new Uint8Array(zlib.zstdDecompressSync(frame))).toEqual(payload)
    }
  })

  test('a stream cut inside a frame is not complete, and keeps the whole frames before it', () => {
    const bytes = concat([frames[0], frames[4]])
    const out = split(bytes.subarray(0, bytes.length - 1), [4096])
    expect(out.frames).toEqual([frames[0]])
    expect(out.complete).toBe(false)
  })

  test('bytes that are not zstd, and a block of the reserved type, are errors', () => {
    expect(() => new ZstdFrames().push(text('id,name\r\n'))).toThrow(ZstdFormatError)
    expect(() => new ZstdFrames().push(text('id,name\r\n'))).toThrow('not a zstd frame (magic number 0x')
    const reserved = rawFrame(text('x'), [0x20, 1])
    reserved[6] |= 0b110
    expect(() => new ZstdFrames().push(reserved)).toThrow('a zstd block of the reserved type')
  })
})
