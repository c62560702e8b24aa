/**
 * The framing of src/sources/postgres/copy-tap.ts: split anywhere, a stream of protocol messages
 * gives the sink exactly the CopyData payloads and the driver exactly every other byte, in order;
 * with no sink, the driver gets everything.
 */
import { describe, expect, test } from 'bun:test'
import { Buffer } from 'node:buffer'
import { copyDataFramer, type CopySink } from '../../../src/sources/postgres/copy-tap.ts'

/** One protocol message: type byte, int32 length counting itself, payload. */
function message(type: string, payload: Uint8Array | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload)
  const head = Buffer.alloc(5)
  head[0] = type.charCodeAt(0)
  head.writeUInt32BE(body.length + 4, 1)
  return Buffer.concat([head, body])
}

// A COPY's reply as the server sends it, with messages of every size around the header's.
const payloads = ['1,a\n', '', 'x', '22,"b\nc"\n', 'abcd', 'abcde', 'z'.repeat(300)]
const before = [message('1', ''), message('H', '\u0000\u0000\u0001\u0000\u0000')]
const after = [message('c', ''), message('C', 'COPY 7\u0000'), message('Z', 'I')]
const copyData = payloads.map((p) => message('d', p))
const stream = Buffer.concat([...before, ...copyData, ...after])
const others = Buffer.concat([...before, ...after])
const data = Buffer.from(payloads.join(''))

/** Feeds `chunks` through a framer; returns what went to the sink and what to the driver. */
function feed(chunks: Buffer[], withSink: boolean): { taken: Buffer; forwarded: Buffer; calls: number } {
  const taken: Uint8Array[] = []
  const forwarded: Uint8Array[] = []
  // Copies: views are valid only during the call.
  const sink: CopySink = (payload) => taken.push(new Uint8Array(payload))
  const take = copyDataFramer(
    () => withSink ? sink : undefined,
    (bytes) => forwarded.push(new Uint8Array(bytes)),
  )
  // A copy per chunk, as the socket gives: the framer moves payloads inside its chunk.
  for (const chunk of chunks) take(Buffer.from(chunk))
  return { taken: Buffer.concat(taken), forwarded: Buffer.concat(forwarded), calls: taken.length }
}

function split(bytes: Buffer, at: number[]): Buffer[] {
  const cuts = [0, ...at, bytes.length]
  return cuts.slice(1).map((end, i) => bytes.subarray(cuts[i], end))
}

describe('CopyData framing', () => {
  test('whole, the payloads go to the sink and the rest to the driver', () => {
    const { taken, forwarded, calls } = feed([stream], true)
    expect(taken.equals(data)).toBe(true)
    expect(forwarded.equals(others)).toBe(true)
    // Consecutive payloads go as one view.
    expect(calls).toBe(1)
  })

  test('a message between payloads goes to the driver between them', () => {
    const notice = message('N', 'SNOTICE\u0000')
    const mixed = Buffer.concat([...before, ...copyData.slice(0, 4), notice, ...copyData.slice(4), ...after])
    const events: string[] = []
    const take = copyDataFramer(
      () => (payload) => events.push(`sink ${Buffer.from(payload).toString()}`),
      (bytes) => events.push(`driver ${bytes.length}`),
    )
    take(Buffer.from(mixed))
    expect(events).toEqual([
      `driver ${Buffer.concat(before).length}`,
      `sink ${payloads.slice(0, 4).join('')}`,
      `driver ${notice.length}`,
      `sink ${payloads.slice(4).join('')}`,
      `driver ${Buffer.concat(after).length}`,
    ])
  })

  test('split at every byte, and in every chunk size, the same bytes go the same ways', () => {
    for (let at = 1; at < stream.length; at++) {
      const { taken, forwarded } = feed(split(stream, [at]), true)
      expect(taken.equals(data)).toBe(true)
      expect(forwarded.equals(others)).toBe(true)
    }
    for (let size = 1; size <= 12; size++) {
      const cuts = Array.from({ length: Math.floor((stream.length - 1) / size) }, (_, i) => (i + 1) * size)
      const { taken, forwarded } = feed(split(stream, cuts), true)
      expect(taken.equals(data)).toBe(true)
      expect(forwarded.equals(others)).toBe(true)
    }
  })

  test('without a sink the driver gets every byte', () => {
    for (const size of [1, 3, 5, 64, stream.length]) {
      const cuts = Array.from({ length: Math.floor((stream.length - 1) / size) }, (_, i) => (i + 1) * size)
      const { taken, forwarded } = feed(split(stream, cuts), false)
      expect(taken.length).toBe(0)
      expect(forwarded.equals(stream)).toBe(true)
    }
  })
})
