/**
 * Reading a query with `COPY (query) TO STDOUT`. In binary, PostgreSQL sends each value in its
 * binary form, which src/sources/postgres/binary.ts decodes with no string per value and no text
 * parsing; columns without a binary decoder are sent as their output function's text
 * (`format('%s', ...)`) and converted like on the cursor path. In CSV (copy-csv.ts) the rows
 * come as CSV records for a reader that only writes CSV. The data comes through the connection's
 * tap (copy-tap.ts) when it has one, else through postgres.js's stream. The socket is paused
 * while the consumer is behind, so memory stays at about one batch.
 */
import type { Readable } from 'node:stream'
import type postgres from 'postgres'
import type { ColumnBatch } from '../../types/values.ts'
import { garbagePacer } from '../batch.ts'
import type { BatchLimits } from '../source.ts'
import { CopyTupleReader } from './copy-tuples.ts'
import type { Column } from '../../types/output.ts'
import type { FieldDecoder, Int64FieldDecoder } from './binary.ts'
import type { CopyTap } from './copy-tap.ts'
import { pgError } from './errors.ts'

/** A quoted SQL string literal; only valid with standard_conforming_strings on (no backslashes). */
export function pgLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`
}

/**
 * `COPY` of a query to stdout in a format. With a select list, the query becomes a derived table
 * `q` whose columns are renamed by position (`q.c1`, `q.c2`, ...), so duplicate or odd names do
 * not matter. The newlines keep a trailing `--` comment from eating the parenthesis.
 */
export function copyStatement(query: string, format: 'binary' | 'csv', select?: string[]): string {
  if (!select) return `copy (\n${query}\n) to stdout (format ${format})`
  const names = select.map((_, i) => `c${i + 1}`)
  return `copy (select ${select.join(', ')} from (\n${query}\n) as q(${
    names.join(', ')
  })) to stdout (format ${format})`
}

/** The select list of a binary COPY that reads the columns flagged in `asText` as their text. */
export function textColumns(asText: boolean[]): string[] | undefined {
  if (!asText.some(Boolean)) return undefined
  // num_nulls looks at the value itself: `row(null) is null` would be true for a composite.
  return asText.map((text, i) =>
    text ? `case when num_nulls(q.c${i + 1}) = 1 then null else format('%s', q.c${i + 1}) end` : `q.c${i + 1}`
  )
}

/** Turns the data of one COPY, chunk by chunk, into batches. */
export interface CopyReader {
  /** Reads what a chunk completes; throws on a value that cannot be stored. */
  push(chunk: Uint8Array): void
  /** Hands over the rows read since the last batch, if any. */
  flush(): void
  /** Whether the data read so far ends where a COPY may end. */
  readonly complete: boolean
}

/** The statement of one COPY and the reader of its data. */
export interface CopyPlan {
  statement: string
  reader(onBatch: (batch: ColumnBatch) => void): CopyReader
}

/** The plan of a binary COPY: the decoder of each field. */
export function binaryCopyPlan(
  statement: string,
  columns: Column[],
  decoders: FieldDecoder[],
  int64: (Int64FieldDecoder | undefined)[],
  limits: BatchLimits,
): CopyPlan {
  return { statement, reader: (onBatch) => new CopyTupleReader(columns, decoders, int64, limits, onBatch) }
}

/** What {@link copyBatches} needs to run one COPY. */
export interface CopyRead {
  sql: postgres.Sql<Record<string, never>>
  target: string
  /** Plans the COPY when the stream is first read; undefined when COPY cannot read the query. */
  plan: () => Promise<CopyPlan | undefined>
  /**
   * The same rows another way, used when there is no plan or PostgreSQL cannot parse the COPY
   * around the query. Called after `plan`.
   */
  fallback: () => ReadableStream<ColumnBatch>
  /**
   * Cancels `statement` on a backend from another connection, if the backend is still running
   * it: postgres.js cannot cancel a COPY once its stream is handed over.
   */
  cancelBackend: (pid: number, statement: string) => Promise<void>
  /** The connection's tap, when it has one: the COPY's data then bypasses the driver. */
  tap?: CopyTap
}

/** How long a cancelled COPY waits for its stream to close: a healthy server takes milliseconds. */
const CANCEL_WAIT_MS = 5_000

// A query that reads fine on its own but not inside COPY (a trailing semicolon) fails with this.
const SYNTAX_ERROR = '42601'

/** The batches of a COPY, as its plan reads them, pulled from the socket as the stream is read. */
export function copyBatches(read: CopyRead): ReadableStream<ColumnBatch> {
  let controller!: ReadableStreamDefaultController<ColumnBatch>
  let stream: Readable | undefined
  let pid: number | undefined
  let fallback: ReadableStreamDefaultReader<ColumnBatch> | undefined
  let settled = false
  let wake = () => {}
  let opening: Promise<void> | undefined
  let statement = ''
  const tap = read.tap
  // With a tap the data never reaches the driver's stream: the socket itself is paused.
  const pause = () => tap ? tap.pause() : stream?.pause()
  const resume = () => {
    tap?.resume()
    stream?.resume()
  }
  const collect = garbagePacer()
  const onBatch = (batch: ColumnBatch) => {
    controller.enqueue(batch)
    collect(batch.bytes)
    if ((controller.desiredSize ?? 0) <= 0) pause()
    wake()
  }

  const stop = () => {
    if (!stream) return
    // Cancel on the server and drain what is in flight, so the connection is usable again.
    if (tap) tap.sink = () => {}
    stream.removeAllListeners('data')
    stream.on('data', () => {}).on('error', () => {})
    resume()
    if (pid !== undefined && !stream.readableEnded) read.cancelBackend(pid, statement).catch(() => {})
  }
  const fail = (error: unknown) => {
    if (settled) return
    settled = true
    controller.error(pgError(error, read.target))
    stop()
    wake()
  }
  const open = async () => {
    const plan = await read.plan()
    if (!plan) {
      fallback = read.fallback().getReader()
      return
    }
    const reader = plan.reader(onBatch)
    const push = (chunk: Uint8Array) => {
      try {
        reader.push(chunk)
      } catch (error) {
        fail(error)
      }
    }
    const [backend] = await read.sql.unsafe('select pg_backend_pid() as pid')
    pid = Number(backend.pid)
    statement = plan.statement
    const query = read.sql.unsafe(statement)
    if (tap) tap.sink = push
    try {
      stream = await query.readable()
    } catch (error) {
      if (tap) tap.sink = undefined
      if ((error as { code?: string }).code !== SYNTAX_ERROR) throw error
      fallback = read.fallback().getReader()
      return
    }
    if (!tap) stream.on('data', push)
    stream.on('error', fail)
    // Through the tap, rows arrive before the driver hands over its stream: a failure or a
    // cancel in between found no stream to stop.
    if (settled) stop()
    stream.on('close', () => {
      if (tap) tap.sink = undefined
    })
    stream.on('end', () => {
      if (!settled) {
        if (!reader.complete) fail(new Error('COPY ended before its last row'))
        else {
          reader.flush()
          settled = true
          controller.close()
          wake()
        }
      }
      // postgres.js resumes its socket only from this stream's read(), which Node stops calling
      // at the end, and the last batch may have paused the tapped socket. Left paused, the rest
      // of the reply (ReadyForQuery) would never be read and the connection's next query would
      // wait forever.
      stream!._read(0)
      tap?.resume()
    })
  }

  return new ReadableStream<ColumnBatch>({
    start(c) {
      controller = c
    },
    async pull() {
      if (!stream && !fallback) {
        try {
          await (opening ??= open())
        } catch (error) {
          return fail(error)
        }
      }
      if (fallback) {
        const next = await fallback.read()
        if (next.done) controller.close()
        else controller.enqueue(next.value)
        return
      }
      if (settled) return
      await new Promise<void>((resolve) => {
        wake = resolve
        resume()
      })
    },
    async cancel() {
      settled = true
      await opening?.catch(() => {})
      if (fallback) return fallback.cancel()
      if (!stream || stream.closed) return
      const closed = new Promise((resolve) => stream!.once('close', resolve))
      stop()
      // A server that stopped answering (a dead peer behind a live proxy) never closes the
      // stream, and an interrupted run would wait for it forever: after a while the connection
      // is left to close(), which ends it by force.
      let timer: ReturnType<typeof setTimeout> | undefined
      await Promise.race([closed, new Promise((resolve) => timer = setTimeout(resolve, CANCEL_WAIT_MS))])
      clearTimeout(timer)
    },
  }, { highWaterMark: 1 })
}
