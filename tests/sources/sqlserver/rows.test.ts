/** The row queue between tedious's 'row' events and the batch stream: backpressure, end, errors, cancel. */
import { describe, expect, test } from 'bun:test'
import { EventEmitter } from 'node:events'
import { RowQueue } from '../../../src/sources/sqlserver/rows.ts'

/** A stand-in for a tedious Request: emits rows and records pause/resume. */
class FakeRequest extends EventEmitter {
  paused = false
  pauses = 0
  resumes = 0
  pause(): void {
    this.paused = true
    this.pauses++
  }
  resume(): void {
    if (this.paused) this.resumes++
    this.paused = false
  }
  row(...values: unknown[]): void {
    this.emit('row', values.map((value) => ({ value })))
  }
}

describe('RowQueue', () => {
  test('pauses the request at a batch of rows, hands the batch over and resumes', async () => {
    const request = new FakeRequest()
    const queue = new RowQueue(request, { rows: 3, bytes: 1_000_000 }, () => {})
    request.row(1, 'a')
    request.row(2, 'b')
    expect(request.paused).toBe(false)
    let taken: unknown
    const next = queue.next().then((r) => taken = r.value)
    await Promise.resolve()
    // Two rows are not a batch yet: the reader keeps waiting.
    expect(taken).toBeUndefined()
    request.row(3, 'c')
    expect(request.paused).toBe(true)
    await next
    expect(taken).toEqual([[1, 'a'], [2, 'b'], [3, 'c']])
    expect(request.paused).toBe(false)
    expect(request.resumes).toBe(1)
  })

  test('pauses at the byte limit too', () => {
    const request = new FakeRequest()
    new RowQueue(request, { rows: 1000, bytes: 100 }, () => {})
    request.row('x'.repeat(60))
    expect(request.paused).toBe(false)
    request.row('y'.repeat(60))
    expect(request.paused).toBe(true)
  })

  test('hands over the rest when the request completes, then ends', async () => {
    const request = new FakeRequest()
    const queue = new RowQueue(request, { rows: 10, bytes: 1_000_000 }, () => {})
    request.row(1)
    queue.finish()
    expect((await queue.next()).value).toEqual([[1]])
    expect(await queue.next()).toEqual({ done: true, value: undefined })
  })

  test('copies binary values out of the driver buffers', async () => {
    const request = new FakeRequest()
    const queue = new RowQueue(request, { rows: 1, bytes: 1_000_000 }, () => {})
    const buffer = Buffer.from([1, 2, 3, 4])
    request.row(buffer.subarray(1, 3))
    const [[value]] = (await queue.next()).value as Uint8Array[][]
    expect(value).toEqual(Uint8Array.of(2, 3))
    expect(value.buffer).not.toBe(buffer.buffer)
  })

  test('fails with the request error', async () => {
    const request = new FakeRequest()
    const queue = new RowQueue(request, { rows: 10, bytes: 1_000_000 }, () => {})
    request.row(1)
    queue.finish(new Error('server said no'))
    await expect(queue.next()).rejects.toThrow('server said no')
  })

  test('an early return cancels the running request, once', async () => {
    const request = new FakeRequest()
    let cancels = 0
    // The server acknowledges the cancel: tedious then runs the request's completion callback.
    // Without it `return` would wait out its 5 s bound, as long as the test's own timeout.
    const queue: RowQueue = new RowQueue(request, { rows: 10, bytes: 1_000_000 }, () => {
      cancels++
      setTimeout(() => queue.finish(), 10)
    })
    request.row(1)
    expect(await queue.return()).toEqual({ done: true, value: undefined })
    await queue.return()
    expect(cancels).toBe(1)
  })

  test('a finished request is not cancelled', async () => {
    const request = new FakeRequest()
    let cancels = 0
    const queue = new RowQueue(request, { rows: 10, bytes: 1_000_000 }, () => cancels++)
    queue.finish()
    await queue.return()
    expect(cancels).toBe(0)
  })
})
