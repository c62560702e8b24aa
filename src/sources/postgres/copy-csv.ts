/**
 * Reading a query with `COPY (query) TO STDOUT (FORMAT csv)` when the pipeline only writes CSV:
 * PostgreSQL's CSV is already rivet's for most types (the same quoting, NULL as an empty field
 * and the empty string as `""`), so most fields are copied as they arrive. The rest are
 * rewritten here, field by field: `t`/`f` as `true`/`false`, timestamps with `T`, six fraction
 * digits and `Z`, floats PostgreSQL writes with an exponent, `\x` off bytea. A value outside
 * those shapes (infinity, BC dates, NaN, arrays, overridden columns) goes through the column's
 * text converter and rivet's CSV writer, exactly as on the decode path, errors included.
 */
import { Buffer } from 'node:buffer'
import { sourceError } from '../../errors.ts'
import { ByteSink } from '../../formats/ascii.ts'
import { csvFieldWriter } from '../../formats/csv.ts'
import type { Converter } from '../../types/convert.ts'
import { type Column, typeName } from '../../types/output.ts'
import type { ColumnBatch } from '../../types/values.ts'
import { nullError, valueError } from '../batch.ts'
import type { BatchLimits } from '../source.ts'
import { Carry } from './carry.ts'
import type { CopyReader } from './copy.ts'
import { describePgColumn, PG_OID, type PgColumnInfo } from './types.ts'

const COMMA = 44
const QUOTE = 34
const CR = 13
const LF = 10
const SPACE = 32
const DOT = 46
const ZERO = 48
const LOWER_E = 101
const UPPER_I = 73
const UPPER_N = 78
const MINUS = 45
const PLUS = 43
const LOWER_T = 116
const LOWER_F = 102
const T = 84
const Z = 90

/**
 * Writes one non-NULL field, bytes `start` to `end` of `row` (quotes included), as rivet's CSV
 * field into `out` at `o`, which has room for the field and {@link GROWTH} more bytes. Returns
 * where the field ends in `out`, or -1 when it is not in the shape rewritten: the caller then
 * converts it the slow way.
 */
type FieldRewriter = (row: Uint8Array, start: number, end: number, out: Uint8Array, o: number) => number

/** The most a rewrite adds to a field: `HH:MM:SS` to `THH:MM:SS.ffffffZ` less the `+00`. */
const GROWTH = 8

/**
 * The data a record is first looked for in, and the spare bytes of a batch buffer: a record of
 * up to WINDOW bytes grows by at most GROWTH per field, up to 1,600 fields (PostgreSQL's limit).
 */
const WINDOW = 1 << 15
const SPARE = 1 << 16

/** Batch buffers kept for reuse: the batches in flight between the reader and the encoder. */
const MAX_RELEASED = 4

/** Fields longer than this are copied natively rather than a byte at a time. */
const SHORT_FIELD = 32

/** Copied as it is: PostgreSQL's CSV of these values is rivet's. */
const PASS = 'pass'

function copyBytes(row: Uint8Array, start: number, end: number, out: Uint8Array, o: number): number {
  // Short fields by hand: cheaper than a subarray and a native copy.
  if (end - start < SHORT_FIELD) {
    for (let i = start; i < end; i++) out[o++] = row[i]
    return o
  }
  out.set(row.subarray(start, end), o)
  return o + end - start
}

function putAscii(text: string, out: Uint8Array, o: number): number {
  for (let i = 0; i < text.length; i++) out[o++] = text.charCodeAt(i)
  return o
}

const rewriteBool: FieldRewriter = (row, start, end, out, o) => {
  if (end - start !== 1) return -1
  if (row[start] === LOWER_T) return putAscii('true', out, o)
  if (row[start] === LOWER_F) return putAscii('false', out, o)
  return -1
}

/**
 * PostgreSQL 12+ writes floats as shortest round-trip text, as JavaScript does, but for exponents.
 * A real's shortest digits (at most 9) are also its value's in rivet, which holds a real as the
 * double nearest those digits.
 */
const rewriteFloat: FieldRewriter = (row, start, end, out, o) => {
  for (let i = start; i < end; i++) if (row[i] === LOWER_E) return -1
  return copyBytes(row, start, end, out, o)
}

/** NaN and the infinities fail or pass as the converter says; the digits are exact as they come. */
const rewriteNumeric: FieldRewriter = (row, start, end, out, o) => {
  const first = row[start] === MINUS ? row[start + 1] : row[start]
  if (first === UPPER_N || first === UPPER_I) return -1
  return copyBytes(row, start, end, out, o)
}

// `YYYY-MM-DD`: years 1 to 9999 (BC, five-digit years and infinity are longer or shorter).
const rewriteDate: FieldRewriter = (row, start, end, out, o) =>
  end - start === 10 ? copyBytes(row, start, end, out, o) : -1

// bytea_output is hex: `\x` and lowercase hex digits, rivet's text without the prefix. No bytes
// at all are an empty value, which rivet quotes to keep it apart from NULL.
const rewriteBytea: FieldRewriter = (row, start, end, out, o) =>
  end - start === 2 ? putAscii('""', out, o) : copyBytes(row, start + 2, end, out, o)

/** Writes `HH:MM:SS[.f]` (bytes `at` to `end`) with six fraction digits; -1 when not that shape. */
function putTime(row: Uint8Array, at: number, end: number, out: Uint8Array, o: number): number {
  const length = end - at
  if (length < 8 || length > 15 || (length > 8 && (row[at + 8] !== DOT || length === 9))) return -1
  for (let i = at; i < end; i++) out[o++] = row[i]
  if (length === 8) out[o++] = DOT
  for (let i = Math.max(length, 9); i < 15; i++) out[o++] = ZERO
  return o
}

/** `YYYY-MM-DD HH:MM:SS[.f]`, with `+00` after it when `utc` (the session is in UTC). */
function timestampRewriter(utc: boolean): FieldRewriter {
  const suffix = utc ? 3 : 0
  return (row, start, end, out, o) => {
    const timeEnd = end - suffix
    if (timeEnd - start < 19 || row[start + 4] !== MINUS || row[start + 10] !== SPACE) return -1
    if (utc && (row[timeEnd] !== PLUS || row[timeEnd + 1] !== ZERO || row[timeEnd + 2] !== ZERO)) return -1
    for (let i = start; i < start + 10; i++) out[o++] = row[i]
    out[o++] = T
    o = putTime(row, start + 11, timeEnd, out, o)
    if (o >= 0 && utc) out[o++] = Z
    return o
  }
}

const rewriteTime: FieldRewriter = putTime

/** The rewriter of a column whose output type is the one rivet maps its PostgreSQL type to. */
function rewriter(
  info: PgColumnInfo,
  floatsShortest: boolean,
  single: boolean,
): FieldRewriter | typeof PASS | undefined {
  const kind = describePgColumn(info).type?.kind
  if (info.category === 'A') return undefined
  switch (kind) {
    // The one difference in quoting: alone on a line, PostgreSQL quotes `\.`.
    case 'string':
    case 'json':
      return single ? undefined : PASS
    case 'int':
    case 'uuid':
      return PASS
    case 'decimal':
      return info.oid === PG_OID.money ? undefined : rewriteNumeric
    case 'float':
      return floatsShortest ? rewriteFloat : undefined
    case 'bool':
      return rewriteBool
    case 'date':
      return rewriteDate
    case 'time':
      return rewriteTime
    case 'timestamp':
      return timestampRewriter(info.oid === 1184)
    case 'bytes':
      return rewriteBytea
    default:
      return undefined
  }
}

/** How one column's fields are written. */
export interface FieldPlan {
  column: Column
  /** The fast path, when there is one. */
  rewrite: FieldRewriter | typeof PASS | undefined
  /** The slow path: PostgreSQL's text of the value through the column's converter. */
  convert: Converter
  write: (out: ByteSink, value: never) => void
}

/**
 * How each field of a CSV COPY is written. `floatsShortest`: the server writes shortest
 * round-trip floats (PostgreSQL 12 and later with extra_float_digits > 0).
 */
export function csvFieldPlans(
  infos: PgColumnInfo[],
  columns: Column[],
  converters: Converter[],
  floatsShortest: boolean,
): FieldPlan[] {
  return columns.map((column, i): FieldPlan => {
    const mapped = describePgColumn(infos[i]).type
    // Overridden columns take the converter, as on the decode path.
    const own = mapped !== undefined && typeName(mapped) === typeName(column.type)
    return {
      column,
      rewrite: own ? rewriter(infos[i], floatsShortest, columns.length === 1) : undefined,
      convert: converters[i],
      write: csvFieldWriter(column.type),
    }
  })
}

/**
 * Turns the rows of a CSV COPY into batches of rivet's CSV records (CRLF ends), with no
 * values: see `ColumnBatch.csv`. PostgreSQL sends a row per message, but chunks may split or
 * join rows anywhere; an unfinished row waits for the next chunk.
 */
export class CsvRecordReader implements CopyReader {
  private out: ByteSink
  private readonly carry = new Carry()
  private rows = 0
  /** Buffers of earlier batches given back (`ColumnBatch.release`), written again. */
  private readonly released: Buffer[] = []

  constructor(
    private readonly fields: FieldPlan[],
    private readonly limits: BatchLimits,
    private readonly onBatch: (batch: ColumnBatch) => void,
  ) {
    this.out = this.sink()
  }

  /** A batch's buffer: room for a full batch and a record, so it seldom grows. */
  private sink(): ByteSink {
    return new ByteSink(this.limits.bytes + SPARE, this.released.pop())
  }

  /** CSV has no trailer: every row is read when no part of one is waiting. */
  get complete(): boolean {
    return this.carry.empty
  }

  push(chunk: Uint8Array): void {
    const data = this.carry.join(chunk)
    const stop = data.length
    let pos = 0
    while (pos < stop) {
      // A record is written with room for all the data it is given (see record): a window of
      // it, unless the record is longer, keeps that room within the batch buffer's spare bytes.
      const window = Math.min(stop, pos + WINDOW)
      let next = this.record(data, pos, window)
      if (next < 0 && window < stop) next = this.record(data, pos, stop)
      if (next < 0) break
      pos = next
      this.rows++
      // Records are only bytes, so only the byte limit holds: batches of values also count rows.
      if (this.out.length >= this.limits.bytes) this.flush()
    }
    if (pos < stop) this.carry.keep(data, pos, stop)
  }

  flush(): void {
    if (this.rows === 0) return
    // The batch keeps the buffer: no copy of it.
    const buffer = this.out.buffer
    const csv = buffer.subarray(0, this.out.length)
    const release = () => {
      if (this.released.length < MAX_RELEASED) this.released.push(buffer)
    }
    const batch: ColumnBatch = { length: this.rows, columns: [], bytes: csv.length, csv, release }
    this.out = this.sink()
    this.rows = 0
    this.onBatch(batch)
  }

  /**
   * Writes the record at `at` (the data ends at `n`); returns where the next one starts, or -1
   * when it is not all here.
   */
  private record(data: Uint8Array, at: number, n: number): number {
    const sink = this.out
    const fields = this.fields
    const width = fields.length
    const started = sink.length
    // Room for the rest of the data, each field's growth and the CR: fields are written
    // straight into the buffer.
    let out = sink.room(n - at + GROWTH * width + 1)
    let o = started
    let pos = at
    for (let c = 0; c < width; c++) {
      if (c > 0) out[o++] = COMMA
      const plan = fields[c]
      const rewrite = plan.rewrite
      const start = pos
      if (data[pos] === QUOTE) {
        pos++
        while (true) {
          while (pos < n && data[pos] !== QUOTE) pos++
          if (pos + 1 >= n) break
          // A doubled quote is a quote inside the field.
          if (data[pos + 1] !== QUOTE) break
          pos += 2
        }
        pos++
      } else if (rewrite === PASS) {
        // Copied as it is scanned; past SHORT_FIELD bytes the end is found and copied natively
        // (text of 2,000 characters: 4x faster). Unquoted, a field holds no comma and no LF.
        const short = Math.min(n, pos + SHORT_FIELD)
        let b = 0
        while (pos < short && (b = data[pos]) !== COMMA && b !== LF) {
          out[o++] = b
          pos++
        }
        if (pos === short && pos < n) {
          let end = data.indexOf(c === width - 1 ? LF : COMMA, pos)
          if (end < 0 || end > n) end = n
          out.set(data.subarray(pos, end), o)
          o += end - pos
          pos = end
        }
      } else {
        while (pos < n && data[pos] !== COMMA && data[pos] !== LF) pos++
      }
      if (pos >= n) {
        sink.length = started
        return -1
      }
      if (data[pos] !== (c === width - 1 ? LF : COMMA)) {
        throw sourceError(`COPY sent a row that does not have ${width} fields`)
      }
      if (start === pos) {
        if (!plan.column.nullable) throw nullError(plan.column)
      } else if (rewrite === PASS) {
        if (data[start] === QUOTE) o = copyBytes(data, start, pos, out, o)
      } else {
        const end = rewrite ? rewrite(data, start, pos, out, o) : -1
        if (end >= 0) o = end
        else {
          sink.length = o
          this.convert(plan, data, start, pos)
          out = sink.room(n - pos + GROWTH * width + 1)
          o = sink.length
        }
      }
      pos++
    }
    out[o++] = CR
    out[o++] = LF
    sink.length = o
    return pos
  }

  /** The slow way: PostgreSQL's text through the column's converter and rivet's CSV writer. */
  private convert(plan: FieldPlan, data: Uint8Array, start: number, end: number): void {
    let text = Buffer.from(data.buffer, data.byteOffset + start, end - start).toString('utf8')
    if (data[start] === QUOTE) text = text.slice(1, -1).replaceAll('""', '"')
    let value
    try {
      value = plan.convert(text)
    } catch (error) {
      throw valueError(plan.column, error)
    }
    if (value !== null) plan.write(this.out, value as never)
  }
}
