/**
 * A SQL Server test double: enough of TDS 7.4 (MS-TDS) for the real tedious client, on
 * 127.0.0.1 and an ephemeral port. No SQL Server can run here, so this stands in for one:
 *
 * - PRELOGIN: answers "encryption not supported" (a client that requires TLS fails as it would
 *   against a server without a certificate).
 * - LOGIN7: checks user and password; LOGINACK + ENVCHANGE (database, collation, packet size)
 *   + DONE, or ERROR 18456 "Login failed" + DONE with the error bit; with `databases` set, a
 *   database not among them is refused as SQL Server does: ERROR 4060 "Cannot open database",
 *   then 18456.
 * - SQL batch: a table-driven fake. The test registers replies (result sets or errors) keyed by
 *   the exact batch text or a RegExp; `set ...` batches (tedious's session setup) get an empty
 *   DONE; anything else gets an ERROR naming the unknown batch. Result sets are encoded as
 *   COLMETADATA, ROW (or NBCROW when a row has NULLs) and DONE with the row count.
 * - ATTENTION: stops the running result and acknowledges with DONE(ATTN).
 *
 * Every type of the SQL Server matrix is encoded in its wire form: INTN, BITN, DECIMALN/NUMERICN,
 * MONEYN, FLTN, BIGVARCHR/BIGCHAR/NVARCHAR/NCHAR (PLP for (max)), TEXT/NTEXT/IMAGE, XML,
 * BIGVARBIN/BIGBINARY (PLP for (max)), GUIDTYPE (mixed-endian), DATEN, TIMEN, DATETIMN (datetime
 * and smalldatetime), DATETIME2N and DATETIMEOFFSETN; and UDT for the CLR types (geography,
 * geometry, hierarchyid), which rivet does not map. Values are given in their SQL text form
 * (decimals, dates, uuids) and converted here with integer arithmetic, independently of rivet.
 *
 * Responses are cut into packets of the negotiated size and written with the socket's
 * backpressure, and row generators are consumed lazily: a client that stops reading stops the
 * double too (counted in {@link TdsServer.drainWaits}).
 */
import { once } from 'node:events'
import { createServer, type Server, type Socket } from 'node:net'

/** A result column: its name and SQL Server type, e.g. `decimal(38,10)` or `nvarchar(max)`. */
export interface TdsColumn {
  name: string
  type: string
  nullable?: boolean
}

/**
 * One value, in the form its type takes: integers as number, bigint or text; bit as boolean;
 * decimal and money as exact text; real/float as number; strings as string; binary as bytes;
 * uniqueidentifier as canonical text; date `YYYY-MM-DD`, time `HH:MM:SS[.fffffff]`, datetime and
 * datetime2 `YYYY-MM-DD HH:MM:SS[.fffffff]`, smalldatetime `YYYY-MM-DD HH:MM`, datetimeoffset
 * `YYYY-MM-DD HH:MM:SS[.fffffff] +HH:MM`.
 */
export type TdsValue = null | number | bigint | string | boolean | Uint8Array

/** A result set: columns and rows (any iterable, consumed lazily as the client reads). */
export interface ResultSet {
  columns: TdsColumn[]
  rows: Iterable<TdsValue[]>
}

/** An error the server raises, as an ERROR token. */
export interface ServerError {
  number: number
  message: string
  state?: number
  class?: number
}

/** What the double answers to a batch: result sets (none for a statement like DDL), or errors. */
export type Reply =
  | ResultSet
  | ResultSet[]
  | { error: ServerError | ServerError[] }
  | ((sql: string) => Reply)

/** Login settings of the double. */
export interface TdsServerOptions {
  user?: string
  password: string
  /** The databases a login may open; any, when not given. */
  databases?: string[]
}

const PACKET = { SQL_BATCH: 0x01, REPLY: 0x04, ATTENTION: 0x06, LOGIN7: 0x10, PRELOGIN: 0x12 }
const TOKEN = {
  COLMETADATA: 0x81,
  ERROR: 0xaa,
  LOGINACK: 0xad,
  ROW: 0xd1,
  NBCROW: 0xd2,
  ENVCHANGE: 0xe3,
  DONE: 0xfd,
}
const DONE = { FINAL: 0x00, MORE: 0x01, ERROR: 0x02, COUNT: 0x10, ATTN: 0x20 }
const SELECT_CMD = 0xc1
/** SQL_Latin1_General_CP1_CI_AS: LCID 0x0409, sort id 52 -> code page 1252. */
const COLLATION = Buffer.from([0x09, 0x04, 0xd0, 0x00, 0x34])
const PLP_CHUNK = 4000

// ---------------------------------------------------------------------------------------------
// Small writers.

function u8(n: number): Buffer {
  return Buffer.from([n])
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2)
  b.writeUInt16LE(n)
  return b
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}

function u64(n: bigint): Buffer {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(n)
  return b
}

/** An unsigned little-endian integer of `size` bytes. */
function uintLE(n: bigint, size: number): Buffer {
  const b = Buffer.alloc(size)
  for (let i = 0; i < size; i++) {
    b[i] = Number(n & 0xffn)
    n >>= 8n
  }
  return b
}

function ucs2(text: string): Buffer {
  return Buffer.from(text, 'utf16le')
}

/** B_VARCHAR: a one-byte character count, then UCS-2. */
function bVarchar(text: string): Buffer {
  return Buffer.concat([u8(text.length), ucs2(text)])
}

/** US_VARCHAR: a two-byte character count, then UCS-2. */
function usVarchar(text: string): Buffer {
  return Buffer.concat([u16(text.length), ucs2(text)])
}

/** Partially length-prefixed bytes, as (max) types and xml are sent. */
function plp(data: Buffer): Buffer {
  const parts = [u64(BigInt(data.length))]
  for (let i = 0; i < data.length; i += PLP_CHUNK) {
    const chunk = data.subarray(i, i + PLP_CHUNK)
    parts.push(u32(chunk.length), chunk)
  }
  parts.push(u32(0))
  return Buffer.concat(parts)
}

// ---------------------------------------------------------------------------------------------
// Value text -> integers, with BigInt and the civil-from-days formula: no Date, no float.

/** The unscaled integer of decimal text at `scale`; text with more decimals is a test bug. */
function unscaled(text: string, scale: number): bigint {
  const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text.trim())
  if (!m) throw new Error(`tds-server: "${text}" is not decimal text`)
  const fraction = m[3] ?? ''
  if (fraction.length > scale) throw new Error(`tds-server: "${text}" has more than ${scale} decimals`)
  const n = BigInt(m[2] + fraction.padEnd(scale, '0'))
  return m[1] ? -n : n
}

/** Days from 0001-01-01 (proleptic Gregorian) to a date. */
function daysSince0001(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  // 0001-01-01 is day 0; the formula counts from 0000-03-01.
  return era * 146097 + doe - 306
}

const DAYS_1900 = daysSince0001(1900, 1, 1)
const HUNDRED_NS_PER_DAY = 864_000_000_000n

interface Stamp {
  days: number
  /** Time of day in 100 ns units. */
  ticks: bigint
  /** Offset east of UTC, in minutes. */
  offset: number
}

const stampRe =
  /^(?:(\d{4})-(\d\d)-(\d\d))?[ T]?(?:(\d\d):(\d\d)(?::(\d\d)(?:\.(\d{1,7}))?)?)?(?:\s*([+-])(\d\d):(\d\d))?$/

function parseStamp(text: string): Stamp {
  const m = stampRe.exec(text.trim())
  if (!m) throw new Error(`tds-server: "${text}" is not a date/time`)
  const days = m[1] ? daysSince0001(Number(m[1]), Number(m[2]), Number(m[3])) : 0
  const seconds = BigInt(Number(m[4] ?? 0) * 3600 + Number(m[5] ?? 0) * 60 + Number(m[6] ?? 0))
  const ticks = seconds * 10_000_000n + BigInt((m[7] ?? '').padEnd(7, '0'))
  const offset = m[8] ? (m[8] === '-' ? -1 : 1) * (Number(m[9]) * 60 + Number(m[10])) : 0
  return { days, ticks, offset }
}

/** TIMEN bytes for a scale: 3, 4 or 5 bytes of 10^-scale second units. */
function timeBytes(ticks: bigint, scale: number): Buffer {
  const divisor = 10n ** BigInt(7 - scale)
  if (ticks % divisor !== 0n) throw new Error(`tds-server: time has more digits than scale ${scale}`)
  return uintLE(ticks / divisor, timeLength(scale))
}

function timeLength(scale: number): number {
  return scale <= 2 ? 3 : scale <= 4 ? 4 : 5
}

/** The GUID byte order on the wire: the first three groups little-endian, the rest as written. */
function guidBytes(text: string): Buffer {
  const hex = text.replace(/-/g, '')
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`tds-server: "${text}" is not a uuid`)
  const b = Buffer.from(hex, 'hex')
  return Buffer.concat([
    b.subarray(0, 4).reverse(),
    b.subarray(4, 6).reverse(),
    b.subarray(6, 8).reverse(),
    b.subarray(8),
  ])
}

// ---------------------------------------------------------------------------------------------
// Types: the TYPE_INFO of COLMETADATA and the encoding of one non-NULL value.

interface Codec {
  meta: Buffer
  value(v: TdsValue): Buffer
}

function intCodec(size: number): Codec {
  return {
    meta: Buffer.from([0x26, size]),
    value: (v) => {
      const n = BigInt(v as number | bigint | string)
      const b = Buffer.alloc(size)
      if (size === 1) b.writeUInt8(Number(n))
      if (size === 2) b.writeInt16LE(Number(n))
      if (size === 4) b.writeInt32LE(Number(n))
      if (size === 8) b.writeBigInt64LE(n)
      return Buffer.concat([u8(size), b])
    },
  }
}

function decimalCodec(id: number, precision: number, scale: number): Codec {
  const size = precision <= 9 ? 5 : precision <= 19 ? 9 : precision <= 28 ? 13 : 17
  return {
    meta: Buffer.from([id, size, precision, scale]),
    value: (v) => {
      const n = unscaled(String(v), scale)
      return Buffer.concat([u8(size), u8(n < 0n ? 0 : 1), uintLE(n < 0n ? -n : n, size - 1)])
    },
  }
}

function moneyCodec(size: 4 | 8): Codec {
  return {
    meta: Buffer.from([0x6e, size]),
    value: (v) => {
      const n = unscaled(String(v), 4)
      const b = Buffer.alloc(size)
      if (size === 4) b.writeInt32LE(Number(n))
      else {
        // money: the high 32 bits first, then the low 32 bits.
        b.writeInt32LE(Number(BigInt.asIntN(64, n) >> 32n), 0)
        b.writeUInt32LE(Number(BigInt.asUintN(32, n)), 4)
      }
      return Buffer.concat([u8(size), b])
    },
  }
}

function floatCodec(size: 4 | 8): Codec {
  return {
    meta: Buffer.from([0x6d, size]),
    value: (v) => {
      const b = Buffer.alloc(size)
      if (size === 4) b.writeFloatLE(v as number)
      else b.writeDoubleLE(v as number)
      return Buffer.concat([u8(size), b])
    },
  }
}

/** char/varchar/nchar/nvarchar/binary/varbinary, `(n)` or `(max)`. */
function varCodec(id: number, length: string, encode: (v: TdsValue) => Buffer, unicode: boolean): Codec {
  const max = length === 'max'
  const maxBytes = max ? 0xffff : Number(length) * (unicode ? 2 : 1)
  const collated = id !== 0xa5 && id !== 0xad
  return {
    meta: Buffer.concat([u8(id), u16(maxBytes), collated ? COLLATION : Buffer.alloc(0)]),
    value: (v) => {
      const data = encode(v)
      return max ? plp(data) : Buffer.concat([u16(data.length), data])
    },
  }
}

/** text/ntext/image: a text pointer, a timestamp, then the data with a four-byte length. */
function longCodec(id: number, encode: (v: TdsValue) => Buffer, collated: boolean): Codec {
  return {
    meta: Buffer.concat([
      u8(id),
      u32(0x7fffffff),
      collated ? COLLATION : Buffer.alloc(0),
      u8(1),
      usVarchar('rivet_table'),
    ]),
    value: (v) => {
      const data = encode(v)
      return Buffer.concat([u8(16), Buffer.alloc(16, 0xab), Buffer.alloc(8), u32(data.length), data])
    },
  }
}

const latin1 = (v: TdsValue) => Buffer.from(String(v), 'latin1')
const utf16 = (v: TdsValue) => ucs2(String(v))
const binary = (v: TdsValue) => Buffer.from(v as Uint8Array)

function codecFor(type: string): Codec {
  const m = /^(\w+)(?:\((\w+)(?:,\s*(\d+))?\))?$/.exec(type.trim().toLowerCase())
  if (!m) throw new Error(`tds-server: cannot parse type "${type}"`)
  const [, name, a, b] = m
  const scale = a === undefined ? 7 : Number(a)
  switch (name) {
    case 'tinyint':
      return intCodec(1)
    case 'smallint':
      return intCodec(2)
    case 'int':
      return intCodec(4)
    case 'bigint':
      return intCodec(8)
    case 'bit':
      return { meta: Buffer.from([0x68, 1]), value: (v) => Buffer.from([1, v ? 1 : 0]) }
    case 'decimal':
      return decimalCodec(0x6a, Number(a ?? 18), Number(b ?? 0))
    case 'numeric':
      return decimalCodec(0x6c, Number(a ?? 18), Number(b ?? 0))
    case 'money':
      return moneyCodec(8)
    case 'smallmoney':
      return moneyCodec(4)
    case 'real':
      return floatCodec(4)
    case 'float':
      return floatCodec(8)
    case 'varchar':
      return varCodec(0xa7, a ?? '1', latin1, false)
    case 'char':
      return varCodec(0xaf, a ?? '1', latin1, false)
    case 'nvarchar':
      return varCodec(0xe7, a ?? '1', utf16, true)
    case 'nchar':
      return varCodec(0xef, a ?? '1', utf16, true)
    case 'varbinary':
      return varCodec(0xa5, a ?? '1', binary, false)
    case 'binary':
      return varCodec(0xad, a ?? '1', binary, false)
    case 'text':
      return longCodec(0x23, latin1, true)
    case 'ntext':
      return longCodec(0x63, utf16, true)
    case 'image':
      return longCodec(0x22, binary, false)
    case 'xml':
      return { meta: Buffer.from([0xf1, 0]), value: (v) => plp(utf16(v)) }
    case 'uniqueidentifier':
      return { meta: Buffer.from([0x24, 16]), value: (v) => Buffer.concat([u8(16), guidBytes(String(v))]) }
    case 'date':
      return {
        meta: u8(0x28),
        value: (v) => Buffer.concat([u8(3), uintLE(BigInt(parseStamp(String(v)).days), 3)]),
      }
    case 'time':
      return {
        meta: Buffer.from([0x29, scale]),
        value: (v) => Buffer.concat([u8(timeLength(scale)), timeBytes(parseStamp(String(v)).ticks, scale)]),
      }
    case 'datetime2':
      return {
        meta: Buffer.from([0x2a, scale]),
        value: (v) => {
          const s = parseStamp(String(v))
          return Buffer.concat([
            u8(timeLength(scale) + 3),
            timeBytes(s.ticks, scale),
            uintLE(BigInt(s.days), 3),
          ])
        },
      }
    case 'datetimeoffset':
      return {
        meta: Buffer.from([0x2b, scale]),
        value: (v) => {
          const s = parseStamp(String(v))
          // Stored as UTC date and time plus the offset to show them in.
          const utc = BigInt(s.days) * HUNDRED_NS_PER_DAY + s.ticks - BigInt(s.offset) * 600_000_000n
          const days = utc / HUNDRED_NS_PER_DAY
          const offset = Buffer.alloc(2)
          offset.writeInt16LE(s.offset)
          return Buffer.concat([
            u8(timeLength(scale) + 5),
            timeBytes(utc % HUNDRED_NS_PER_DAY, scale),
            uintLE(days, 3),
            offset,
          ])
        },
      }
    case 'datetime':
      return {
        meta: Buffer.from([0x6f, 8]),
        value: (v) => {
          const s = parseStamp(String(v))
          // 1/300 s ticks; .003 and .007 round to 1 and 2 as SQL Server stores them.
          const ticks = Number((s.ticks * 300n + 5_000_000n) / 10_000_000n)
          const b = Buffer.alloc(8)
          b.writeInt32LE(s.days - DAYS_1900, 0)
          b.writeUInt32LE(ticks, 4)
          return Buffer.concat([u8(8), b])
        },
      }
    case 'smalldatetime':
      return {
        meta: Buffer.from([0x6f, 4]),
        value: (v) => {
          const s = parseStamp(String(v))
          return Buffer.concat([u8(4), u16(s.days - DAYS_1900), u16(Number(s.ticks / 600_000_000n))])
        },
      }
    case 'geography':
    case 'geometry':
    case 'hierarchyid':
      // CLR types (UDT): where the type lives, then the serialised value as PLP bytes.
      return {
        meta: Buffer.concat([
          u8(0xf0),
          u16(0xffff),
          bVarchar('test'),
          bVarchar('sys'),
          bVarchar(name),
          usVarchar(`Microsoft.SqlServer.Types.Sql${name}, Microsoft.SqlServer.Types`),
        ]),
        value: (v) => plp(binary(v)),
      }
    default:
      throw new Error(`tds-server: type "${type}" is not encoded by the double`)
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens.

function doneToken(status: number, rowCount = 0n): Buffer {
  return Buffer.concat([u8(TOKEN.DONE), u16(status), u16(SELECT_CMD), u64(rowCount)])
}

function errorToken(e: ServerError): Buffer {
  const body = Buffer.concat([
    u32(e.number),
    u8(e.state ?? 1),
    u8(e.class ?? 16),
    usVarchar(e.message),
    bVarchar('rivet-tds-double'),
    bVarchar(''),
    u32(1),
  ])
  return Buffer.concat([u8(TOKEN.ERROR), u16(body.length), body])
}

function envChange(type: number, value: Buffer): Buffer {
  const body = Buffer.concat([u8(type), value])
  return Buffer.concat([u8(TOKEN.ENVCHANGE), u16(body.length), body])
}

function colMetadata(columns: TdsColumn[], codecs: Codec[]): Buffer {
  const parts = [u8(TOKEN.COLMETADATA), u16(columns.length)]
  columns.forEach((c, i) => {
    parts.push(u32(0), u16(c.nullable === false ? 0 : 1), codecs[i].meta, bVarchar(c.name))
  })
  return Buffer.concat(parts)
}

function rowToken(values: TdsValue[], codecs: Codec[]): Buffer {
  const hasNull = values.some((v) => v === null)
  if (!hasNull) return Buffer.concat([u8(TOKEN.ROW), ...values.map((v, i) => codecs[i].value(v))])
  // NBCROW: a bitmap of NULL columns, then only the non-NULL values.
  const bitmap = Buffer.alloc(Math.ceil(values.length / 8))
  const parts: Buffer[] = []
  values.forEach((v, i) => {
    if (v === null) bitmap[i >> 3] |= 1 << (i & 7)
    else parts.push(codecs[i].value(v))
  })
  return Buffer.concat([u8(TOKEN.NBCROW), bitmap, ...parts])
}

// ---------------------------------------------------------------------------------------------
// Connections.

/** Writes one response message as packets of the negotiated size, with socket backpressure. */
class MessageWriter {
  private chunks: Buffer[] = []
  private size = 0
  private packetId = 1

  constructor(private readonly conn: ClientConnection) {}

  async write(data: Buffer): Promise<void> {
    this.chunks.push(data)
    this.size += data.length
    const room = this.conn.packetSize - 8
    while (this.size >= room) await this.flush(room, false)
  }

  async end(): Promise<void> {
    await this.flush(this.size, true)
  }

  private async flush(length: number, last: boolean): Promise<void> {
    const all = Buffer.concat(this.chunks)
    const body = all.subarray(0, length)
    this.chunks = [all.subarray(length)]
    this.size = all.length - length
    const header = Buffer.alloc(8)
    header[0] = PACKET.REPLY
    header[1] = last ? 0x01 : 0x00
    header.writeUInt16BE(body.length + 8, 2)
    header.writeUInt16BE(0x0035, 4)
    header[6] = this.packetId
    this.packetId = (this.packetId + 1) % 256
    await this.conn.send(Buffer.concat([header, body]))
  }
}

class ClientConnection {
  packetSize = 4096
  private pending = Buffer.alloc(0)
  private message: Buffer[] = []
  private queue: Promise<void> = Promise.resolve()
  private responding = false
  private attention = false

  constructor(private readonly socket: Socket, private readonly server: TdsServer) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk))
    socket.on('error', () => {})
  }

  async send(packet: Buffer): Promise<void> {
    if (this.socket.destroyed) throw new Error('tds-server: client went away')
    // Listen before yielding: the socket can drain during the turn below, and a 'drain' nobody
    // heard would leave the result waiting forever.
    const drained = this.socket.write(packet) ? undefined : new Promise<void>((resolve) => {
      const go = () => {
        this.socket.off('drain', go).off('close', go)
        resolve()
      }
      this.socket.on('drain', go).on('close', go)
    })
    // Give the event loop a turn, so the packet goes out now rather than after the whole result.
    await new Promise((resolve) => setImmediate(resolve))
    if (drained) {
      this.server.drainWaits++
      await drained
    }
  }

  private receive(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk])
    while (this.pending.length >= 8) {
      const length = this.pending.readUInt16BE(2)
      if (this.pending.length < length) break
      const packet = this.pending.subarray(0, length)
      this.pending = this.pending.subarray(length)
      const [type, status] = packet
      if (type === PACKET.ATTENTION) {
        this.onAttention()
        continue
      }
      this.message.push(packet.subarray(8))
      if (status & 0x01) {
        const data = Buffer.concat(this.message)
        this.message = []
        // A message the client gave up on while sending it (IGNORE bit) only gets a DONE.
        const ignored = (status & 0x02) !== 0
        this.queue = this.queue.then(() => this.handle(ignored ? -1 : type, data)).catch(() => {
          this.socket.destroy()
        })
      }
    }
  }

  private onAttention(): void {
    if (this.responding) this.attention = true
    else this.queue = this.queue.then(() => this.reply([doneToken(DONE.ATTN)]))
  }

  private async reply(tokens: Buffer[]): Promise<void> {
    const writer = new MessageWriter(this)
    for (const t of tokens) await writer.write(t)
    await writer.end()
  }

  private async handle(type: number, data: Buffer): Promise<void> {
    if (type === PACKET.PRELOGIN) return await this.send(preloginReply())
    if (type === PACKET.LOGIN7) return await this.login(data)
    if (type === PACKET.SQL_BATCH) {
      // ALL_HEADERS (transaction descriptor) comes first; its first four bytes are its length.
      const sql = data.subarray(data.readUInt32LE(0)).toString('utf16le')
      return await this.batch(sql)
    }
    await this.reply([doneToken(DONE.FINAL)])
  }

  private async login(data: Buffer): Promise<void> {
    const field = (at: number) =>
      data.subarray(data.readUInt16LE(at), data.readUInt16LE(at) + data.readUInt16LE(at + 2) * 2)
    const user = field(40).toString('utf16le')
    // LOGIN7 obfuscates the password: each byte's nibbles swapped, then XOR 0xA5.
    const password = Buffer.from(
      field(44).map((b) => {
        const x = b ^ 0xa5
        return ((x & 0x0f) << 4) | (x >> 4)
      }),
    ).toString('utf16le')
    const database = field(68).toString('utf16le') || 'master'
    this.packetSize = data.readUInt32LE(8) || 4096
    const { options } = this.server
    if (password !== options.password || (options.user !== undefined && user !== options.user)) {
      this.server.failedLogins++
      return await this.reply([
        errorToken({ number: 18456, state: 1, class: 14, message: `Login failed for user '${user}'.` }),
        doneToken(DONE.ERROR),
      ])
    }
    if (options.databases && !options.databases.includes(database)) {
      this.server.failedLogins++
      return await this.reply([
        errorToken({
          number: 4060,
          state: 1,
          class: 11,
          message: `Cannot open database "${database}" requested by the login. The login failed.`,
        }),
        errorToken({ number: 18456, state: 1, class: 14, message: `Login failed for user '${user}'.` }),
        doneToken(DONE.ERROR),
      ])
    }
    const version = Buffer.concat([
      u8(1),
      Buffer.from([0x74, 0x00, 0x00, 0x04]),
      bVarchar('rivet TDS double'),
    ])
    const loginAck = Buffer.concat([version, Buffer.from([16, 0, 0x10, 0x00])])
    await this.reply([
      envChange(1, Buffer.concat([bVarchar(database), bVarchar('master')])),
      envChange(7, Buffer.concat([u8(COLLATION.length), COLLATION, u8(0)])),
      envChange(4, Buffer.concat([bVarchar(String(this.packetSize)), bVarchar('4096')])),
      Buffer.concat([u8(TOKEN.LOGINACK), u16(loginAck.length), loginAck]),
      doneToken(DONE.FINAL),
    ])
  }

  private async batch(sql: string): Promise<void> {
    if (/^\s*set\s/i.test(sql)) return await this.reply([doneToken(DONE.FINAL)])
    this.server.queries.push(sql)
    let reply = this.server.replyFor(sql)
    while (typeof reply === 'function') reply = reply(sql)
    if ('error' in reply) {
      const errors = Array.isArray(reply.error) ? reply.error : [reply.error]
      return await this.reply([...errors.map(errorToken), doneToken(DONE.ERROR)])
    }
    const sets = Array.isArray(reply) ? reply : [reply]
    // No result set: a statement such as DDL, answered with a bare DONE.
    if (sets.length === 0) return await this.reply([doneToken(DONE.FINAL)])
    this.responding = true
    this.attention = false
    const writer = new MessageWriter(this)
    try {
      for (let s = 0; s < sets.length && !this.attention; s++) {
        const set = sets[s]
        const codecs = set.columns.map((c) => codecFor(c.type))
        await writer.write(colMetadata(set.columns, codecs))
        let count = 0n
        for (const row of set.rows) {
          if (this.attention) break
          await writer.write(rowToken(row, codecs))
          count++
        }
        const more = s < sets.length - 1 ? DONE.MORE : 0
        await writer.write(doneToken(this.attention ? DONE.FINAL : DONE.COUNT | more, count))
      }
      await writer.end()
    } finally {
      this.responding = false
    }
    if (this.attention) {
      this.attention = false
      this.server.cancels++
      await this.reply([doneToken(DONE.ATTN)])
    }
  }
}

function preloginReply(): Buffer {
  // VERSION 16.0.4096.0, ENCRYPTION = NOT_SUP, INSTOPT, THREADID (empty), MARS off.
  const options: [number, Buffer][] = [
    [0x00, Buffer.from([16, 0, 0x10, 0x00, 0, 0])],
    [0x01, u8(0x02)],
    [0x02, u8(0)],
    [0x03, Buffer.alloc(0)],
    [0x04, u8(0)],
  ]
  const head = Buffer.alloc(options.length * 5 + 1)
  let dataOffset = head.length
  options.forEach(([token, data], i) => {
    head[i * 5] = token
    head.writeUInt16BE(dataOffset, i * 5 + 1)
    head.writeUInt16BE(data.length, i * 5 + 3)
    dataOffset += data.length
  })
  head[head.length - 1] = 0xff
  const body = Buffer.concat([head, ...options.map(([, d]) => d)])
  const header = Buffer.from([PACKET.REPLY, 0x01, 0, 0, 0, 0, 1, 0])
  header.writeUInt16BE(body.length + 8, 2)
  return Buffer.concat([header, body])
}

/** The running double. */
export class TdsServer {
  /** Every SQL batch received, in order (tedious's `set ...` session setup left out). */
  readonly queries: string[] = []
  /** How often a write waited for the client to read: the client applied backpressure. */
  drainWaits = 0
  /** Logins refused. */
  failedLogins = 0
  /** Results stopped by an ATTENTION (a client cancel). */
  cancels = 0
  private readonly replies: { match: string | RegExp; reply: Reply }[] = []
  private readonly sockets = new Set<Socket>()

  private constructor(private readonly server: Server, readonly options: TdsServerOptions) {
    server.on('connection', (socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
      new ClientConnection(socket, this)
    })
  }

  /** Starts a double on 127.0.0.1 and an ephemeral port. */
  static async start(options: TdsServerOptions): Promise<TdsServer> {
    const server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    return new TdsServer(server, options)
  }

  /** The port it listens on. */
  get port(): number {
    return (this.server.address() as { port: number }).port
  }

  /**
   * Answers batches equal to `match` (whitespace-trimmed) or matching it with `reply`. A later
   * registration wins over an earlier one for the same batch.
   */
  on(match: string | RegExp, reply: Reply): void {
    this.replies.unshift({ match, reply })
  }

  /** The reply registered for a batch, or an ERROR naming it. */
  replyFor(sql: string): Reply {
    const text = sql.trim()
    const found = this.replies.find(({ match }) =>
      typeof match === 'string' ? match.trim() === text : match.test(text)
    )
    return found?.reply ?? {
      error: { number: 2812, message: `The TDS test double has no reply for: ${text.slice(0, 300)}` },
    }
  }

  /** Stops listening and drops every connection. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    this.server.close()
    await once(this.server, 'close').catch(() => {})
  }
}
