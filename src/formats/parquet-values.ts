/**
 * PLAIN encoding of one column's non-null values, with the column chunk's min and max taken in
 * the same pass. One class per JS representation of the value contract (src/types/values.ts),
 * so the loop over a column never asks a value what it is.
 */
import type { SchemaElement } from 'hyparquet'
import type { OutputType } from '../types/output.ts'
import { type ColumnValues, isInt64Vector, type Value } from '../types/values.ts'
import type { PageBuffer } from './parquet-buffer.ts'

/** Min and max as hyparquet-writer's footer takes them: JS values of the column, or bytes. */
export interface ValueStatistics {
  min?: unknown
  max?: unknown
  nanCount?: bigint
}

/** Appends non-null values to a page as PLAIN and tracks their statistics. */
export interface PlainEncoder {
  /** Appends a non-null value. */
  put(value: Value): void
  /** Appends the non-null values `values[from..to)`. */
  putRange(values: ColumnValues, from: number, to: number): void
  /** Bytes per value when every value takes the same whole number of bytes. */
  readonly width: number | undefined
  /** Bytes of the page so far. */
  readonly size: number
  /** The page's bytes, valid until the next `put`; the next page starts empty. */
  take(): Uint8Array
  /** Min, max and NaN count of every value put since the encoder was made. */
  statistics(): ValueStatistics
}

abstract class BufferedEncoder {
  /** `width`: bytes per value when they all take the same, as the physical type says. */
  constructor(protected readonly buffer: PageBuffer, readonly width: number | undefined = undefined) {}

  abstract put(value: Value): void

  putRange(values: ColumnValues, from: number, to: number): void {
    for (let i = from; i < to; i++) this.put(values[i])
  }

  get size(): number {
    return this.buffer.length
  }

  take(): Uint8Array {
    return this.buffer.take()
  }
}

class Int32Encoder extends BufferedEncoder implements PlainEncoder {
  private min = Infinity
  private max = -Infinity

  put(value: Value): void {
    const v = value as number
    const b = this.buffer
    b.ensure(4)
    b.view.setInt32(b.length, v, true)
    b.length += 4
    if (v < this.min) this.min = v
    if (v > this.max) this.max = v
  }

  statistics(): ValueStatistics {
    return this.min > this.max ? {} : { min: this.min, max: this.max }
  }
}

/** Values held as bigints; min and max compare the bigints, the footer turns them into bytes. */
abstract class BigIntEncoder extends BufferedEncoder {
  private min: bigint | undefined
  private max: bigint | undefined

  protected track(v: bigint): void {
    if (this.min === undefined || v < this.min) this.min = v
    if (this.max === undefined || v > this.max) this.max = v
  }

  statistics(): ValueStatistics {
    return { min: this.min, max: this.max }
  }
}

/** int64, uint64, time and timestamp (bigint), and decimals up to 18 digits (unscaled bigint). */
class Int64Encoder extends BigIntEncoder implements PlainEncoder {
  put(value: Value): void {
    const v = value as bigint
    const b = this.buffer
    b.ensure(8)
    // setBigInt64 wraps values past 2^63, which is how UINT_64 is stored.
    b.view.setBigInt64(b.length, v, true)
    b.length += 8
    this.track(v)
  }

  /** An int64 vector's memory is already PLAIN INT64: copied whole, min and max from its words. */
  override putRange(values: ColumnValues, from: number, to: number): void {
    if (!isInt64Vector(values)) return super.putRange(values, from, to)
    const n = to - from
    if (n <= 0) return
    const b = this.buffer
    b.ensure(8 * n)
    b.bytes.set(new Uint8Array(values.buffer, values.byteOffset + 8 * from, 8 * n), b.length)
    b.length += 8 * n
    // Signed high words, then unsigned low words, order int64s as their values do.
    const words = new Int32Array(values.buffer, values.byteOffset, values.length * 2)
    let min = from
    let max = from
    for (let i = from + 1; i < to; i++) {
      const high = words[2 * i + 1]
      const minHigh = words[2 * min + 1]
      if (high < minHigh || (high === minHigh && words[2 * i] >>> 0 < words[2 * min] >>> 0)) min = i
      const maxHigh = words[2 * max + 1]
      if (high > maxHigh || (high === maxHigh && words[2 * i] >>> 0 > words[2 * max] >>> 0)) max = i
    }
    this.track(values[min])
    this.track(values[max])
  }
}

/** Decimals up to 9 digits: the unscaled bigint stored as INT32. */
class Decimal32Encoder extends BigIntEncoder implements PlainEncoder {
  put(value: Value): void {
    const v = value as bigint
    const b = this.buffer
    b.ensure(4)
    b.view.setInt32(b.length, Number(v), true)
    b.length += 4
    this.track(v)
  }
}

/** Decimals past 18 digits: big-endian two's complement in `width` bytes. */
class DecimalFixedEncoder extends BigIntEncoder implements PlainEncoder {
  put(value: Value): void {
    const v = value as bigint
    const b = this.buffer
    const width = this.width as number
    b.ensure(width)
    let rest = v
    for (let i = b.length + width - 1; i >= b.length; i--) {
      b.bytes[i] = Number(rest & 0xffn)
      rest >>= 8n
    }
    b.length += width
    this.track(v)
  }
}

class FloatEncoder extends BufferedEncoder implements PlainEncoder {
  private min = Infinity
  private max = -Infinity
  private nan = 0

  put(value: Value): void {
    const v = value as number
    const b = this.buffer
    b.ensure(8)
    if (this.width === 4) b.view.setFloat32(b.length, v, true)
    else b.view.setFloat64(b.length, v, true)
    b.length += this.width as number
    if (v !== v) this.nan++
    else {
      if (v < this.min) this.min = v
      if (v > this.max) this.max = v
    }
  }

  statistics(): ValueStatistics {
    const nanCount = BigInt(this.nan)
    // No min or max beside a NaN, as DuckDB writes: the format leaves NaN out of them, and
    // DuckDB, which orders NaN above every number, would then skip the chunk for `x > max`.
    if (this.nan > 0 || this.min > this.max) return { nanCount }
    // The format asks for -0 as a minimum and +0 as a maximum, whichever zero was seen.
    return { min: this.min === 0 ? -0 : this.min, max: this.max === 0 ? 0 : this.max, nanCount }
  }
}

/** Booleans, bit-packed LSB first. */
class BoolEncoder extends BufferedEncoder implements PlainEncoder {
  private acc = 0
  private bits = 0
  private seen = 0

  override get size(): number {
    return this.buffer.length + (this.bits > 0 ? 1 : 0)
  }

  override take(): Uint8Array {
    if (this.bits > 0) this.flush()
    return this.buffer.take()
  }

  private flush(): void {
    this.buffer.ensure(1)
    this.buffer.bytes[this.buffer.length++] = this.acc
    this.acc = 0
    this.bits = 0
  }

  put(value: Value): void {
    if (value) {
      this.acc |= 1 << this.bits
      this.seen |= 2
    } else this.seen |= 1
    if (++this.bits === 8) this.flush()
  }

  statistics(): ValueStatistics {
    if (this.seen === 0) return {}
    return { min: (this.seen & 1) === 0, max: (this.seen & 2) !== 0 }
  }
}

/** Unsigned byte order, which for UTF-8 is code point order: how Parquet orders byte arrays. */
function compareBytes(a: Uint8Array, from: number, length: number, b: Uint8Array): number {
  const n = Math.min(length, b.length)
  for (let i = 0; i < n; i++) {
    const d = a[from + i] - b[i]
    if (d !== 0) return d
  }
  return length - b.length
}

// Below this many UTF-16 units a JS loop beats a native call for ASCII text.
const SHORT_TEXT = 48

/** Text (as UTF-8) and bytes, each with a 4-byte length, or fixed-length bytes (UUID). */
class BytesEncoder extends BufferedEncoder implements PlainEncoder {
  private min: Uint8Array | undefined
  private max: Uint8Array | undefined

  constructor(buffer: PageBuffer, private readonly fixed: number | undefined) {
    super(buffer)
  }

  put(value: Value): void {
    const b = this.buffer
    const prefix = this.fixed === undefined ? 4 : 0
    let start: number
    let length: number
    if (typeof value === 'string') {
      b.ensure(prefix + value.length * 3)
      start = b.length + prefix
      length = writeUtf8(b, value, start)
    } else {
      const bytes = value as Uint8Array
      b.ensure(prefix + bytes.length)
      start = b.length + prefix
      length = bytes.length
      b.bytes.set(bytes, start)
    }
    if (prefix) b.view.setUint32(b.length, length, true)
    b.length = start + length
    // Copies: Buffer#slice would share the page buffer, which the next page overwrites.
    if (this.min === undefined || compareBytes(b.bytes, start, length, this.min) < 0) {
      this.min = new Uint8Array(b.bytes.subarray(start, start + length))
    }
    if (this.max === undefined || compareBytes(b.bytes, start, length, this.max) > 0) {
      this.max = new Uint8Array(b.bytes.subarray(start, start + length))
    }
  }

  statistics(): ValueStatistics {
    return { min: this.min, max: this.max }
  }
}

/** Writes `text` as UTF-8 at `at` (room for 3 bytes per unit is ensured); returns its length. */
function writeUtf8(b: PageBuffer, text: string, at: number): number {
  if (text.length < SHORT_TEXT) {
    const bytes = b.bytes
    let i = 0
    for (; i < text.length; i++) {
      const c = text.charCodeAt(i)
      if (c >= 0x80) break
      bytes[at + i] = c
    }
    if (i === text.length) return i
  }
  return b.bytes.write(text, at, 'utf8')
}

/**
 * The PLAIN encoder for the leaf values of an output type stored as `element`, writing into
 * `buffer` (empty; the encoder's pages are taken from it).
 */
export function plainEncoder(
  type: OutputType,
  element: Omit<SchemaElement, 'name'>,
  buffer: PageBuffer,
): PlainEncoder {
  switch (element.type) {
    case 'INT32':
      return type.kind === 'decimal' ? new Decimal32Encoder(buffer, 4) : new Int32Encoder(buffer, 4)
    case 'INT64':
      return new Int64Encoder(buffer, 8)
    case 'FLOAT':
      return new FloatEncoder(buffer, 4)
    case 'DOUBLE':
      return new FloatEncoder(buffer, 8)
    case 'BOOLEAN':
      return new BoolEncoder(buffer)
    case 'BYTE_ARRAY':
      return new BytesEncoder(buffer, undefined)
    case 'FIXED_LEN_BYTE_ARRAY':
      return type.kind === 'decimal'
        ? new DecimalFixedEncoder(buffer, element.type_length!)
        : new BytesEncoder(buffer, element.type_length!)
    default:
      throw new Error(`no Parquet encoder for ${element.type}`)
  }
}
