/**
 * The messages of PostgreSQL's logical replication: the replication protocol's CopyBoth frames
 * (XLogData, primary keepalive, standby status update) and, inside XLogData, the built-in
 * `pgoutput` plugin's messages of protocol version 1 ("Logical Replication Message Formats" in
 * the PostgreSQL manual). Positions (LSNs) are bigints; values stay text, as pgoutput sends them
 * without the `binary` option, and are converted like the rest of the text PostgreSQL sends.
 */

/** Microseconds from the Unix epoch to PostgreSQL's epoch, 2000-01-01. */
const PG_EPOCH_MICROS = 946_684_800_000_000n

/** One column value of a tuple: NULL, an unchanged TOASTed value the server did not send, or text. */
export type TupleValue = null | typeof UNCHANGED | string

/** A TOASTed value an update left as it was: pgoutput sends no bytes for it. */
export const UNCHANGED: unique symbol = Symbol('unchanged')

/** A column of a relation as pgoutput describes it. */
export interface RelationColumn {
  name: string
  typeOid: number
  /** Part of the replica identity (the primary key, the identity index, or every column with FULL). */
  key: boolean
}

/** A decoded pgoutput message; `lsn`s are positions in the write-ahead log. */
export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: bigint; commitMicros: bigint; xid: number }
  | { tag: 'commit'; commitLsn: bigint; endLsn: bigint; commitMicros: bigint }
  | {
    tag: 'relation'
    oid: number
    schema: string
    name: string
    replicaIdentity: string
    columns: RelationColumn[]
  }
  | { tag: 'insert'; oid: number; tuple: TupleValue[] }
  | { tag: 'update'; oid: number; old: TupleValue[] | undefined; oldIsKey: boolean; tuple: TupleValue[] }
  | { tag: 'delete'; oid: number; old: TupleValue[]; oldIsKey: boolean }
  | { tag: 'truncate'; oids: number[] }
  | { tag: 'other'; type: string }

/** Reads a message front to back. */
class Reader {
  private offset = 0
  private readonly view: DataView
  private static readonly text = new TextDecoder()

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  byte(): number {
    return this.bytes[this.offset++]
  }

  int16(): number {
    const v = this.view.getInt16(this.offset)
    this.offset += 2
    return v
  }

  int32(): number {
    const v = this.view.getInt32(this.offset)
    this.offset += 4
    return v
  }

  uint32(): number {
    const v = this.view.getUint32(this.offset)
    this.offset += 4
    return v
  }

  int64(): bigint {
    const v = this.view.getBigInt64(this.offset)
    this.offset += 8
    return v
  }

  /** A NUL-terminated string. */
  cstring(): string {
    const end = this.bytes.indexOf(0, this.offset)
    const s = Reader.text.decode(this.bytes.subarray(this.offset, end))
    this.offset = end + 1
    return s
  }

  string(length: number): string {
    const s = Reader.text.decode(this.bytes.subarray(this.offset, this.offset + length))
    this.offset += length
    return s
  }

  tuple(): TupleValue[] {
    const count = this.int16()
    const values: TupleValue[] = new Array(count)
    for (let i = 0; i < count; i++) {
      const kind = String.fromCharCode(this.byte())
      if (kind === 'n') values[i] = null
      else if (kind === 'u') values[i] = UNCHANGED
      else if (kind === 't') values[i] = this.string(this.int32())
      else throw new Error(`pgoutput: tuple value of kind '${kind}' (only text is asked for)`)
    }
    return values
  }
}

/** Commit timestamps: PostgreSQL micros since 2000-01-01 -> micros since the Unix epoch. */
function unixMicros(pgMicros: bigint): bigint {
  return pgMicros + PG_EPOCH_MICROS
}

/** Decodes one pgoutput message (protocol version 1). */
export function decodePgOutput(bytes: Uint8Array): PgOutputMessage {
  const r = new Reader(bytes)
  const tag = String.fromCharCode(r.byte())
  switch (tag) {
    case 'B':
      return { tag: 'begin', finalLsn: r.int64(), commitMicros: unixMicros(r.int64()), xid: r.uint32() }
    case 'C': {
      r.byte() // flags, unused
      return { tag: 'commit', commitLsn: r.int64(), endLsn: r.int64(), commitMicros: unixMicros(r.int64()) }
    }
    case 'R': {
      const oid = r.uint32()
      const schema = r.cstring()
      const name = r.cstring()
      const replicaIdentity = String.fromCharCode(r.byte())
      const count = r.int16()
      const columns: RelationColumn[] = []
      for (let i = 0; i < count; i++) {
        const flags = r.byte()
        const column = r.cstring()
        const typeOid = r.uint32()
        r.int32() // type modifier: the catalog's, already known from describe
        columns.push({ name: column, typeOid, key: (flags & 1) === 1 })
      }
      return { tag: 'relation', oid, schema, name, replicaIdentity, columns }
    }
    case 'I': {
      const oid = r.uint32()
      r.byte() // 'N'
      return { tag: 'insert', oid, tuple: r.tuple() }
    }
    case 'U': {
      const oid = r.uint32()
      let kind = String.fromCharCode(r.byte())
      let old: TupleValue[] | undefined
      const oldIsKey = kind === 'K'
      if (kind === 'K' || kind === 'O') {
        old = r.tuple()
        kind = String.fromCharCode(r.byte())
      }
      return { tag: 'update', oid, old, oldIsKey, tuple: r.tuple() }
    }
    case 'D': {
      const oid = r.uint32()
      const oldIsKey = String.fromCharCode(r.byte()) === 'K'
      return { tag: 'delete', oid, old: r.tuple(), oldIsKey }
    }
    case 'T': {
      const count = r.int32()
      r.byte() // options: CASCADE, RESTART IDENTITY
      const oids: number[] = []
      for (let i = 0; i < count; i++) oids.push(r.uint32())
      return { tag: 'truncate', oids }
    }
    default:
      // Type ('Y'), origin ('O') and logical messages ('M') carry nothing a table's rows need.
      return { tag: 'other', type: tag }
  }
}

/** A CopyBoth frame from the server. */
export type ServerFrame =
  | { tag: 'xlog'; start: bigint; walEnd: bigint; data: Uint8Array }
  | { tag: 'keepalive'; walEnd: bigint; replyRequested: boolean }

/** Decodes a CopyData payload of a replication stream: XLogData ('w') or a keepalive ('k'). */
export function decodeServerFrame(bytes: Uint8Array): ServerFrame | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (bytes[0] === 0x77) {
    return {
      tag: 'xlog',
      start: view.getBigUint64(1),
      walEnd: view.getBigUint64(9),
      data: bytes.subarray(25),
    }
  }
  if (bytes[0] === 0x6b) {
    return { tag: 'keepalive', walEnd: view.getBigUint64(1), replyRequested: bytes[17] === 1 }
  }
  return undefined
}

/**
 * A standby status update ('r'): everything up to `flush` is kept by the client, so the server
 * may discard that log; `replyRequested` asks for a keepalive back at once.
 */
export function standbyStatus(flush: bigint, replyRequested: boolean, now = Date.now()): Uint8Array {
  const bytes = new Uint8Array(34)
  const view = new DataView(bytes.buffer)
  bytes[0] = 0x72
  view.setBigUint64(1, flush) // written
  view.setBigUint64(9, flush) // flushed
  view.setBigUint64(17, flush) // applied
  view.setBigInt64(25, BigInt(now) * 1000n - PG_EPOCH_MICROS)
  bytes[33] = replyRequested ? 1 : 0
  return bytes
}

/** An LSN as PostgreSQL writes it: `16/B374D848`. */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`
}

/** Parses PostgreSQL's `16/B374D848`. */
export function parseLsn(text: string): bigint {
  const [high, low] = text.split('/')
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`)
}

/** An LSN as `_rivet_position`: 16 hex digits, so text order is log order. */
export function positionText(lsn: bigint): string {
  return lsn.toString(16).toUpperCase().padStart(16, '0')
}

/** Parses a `_rivet_position`. */
export function parsePosition(text: string): bigint {
  return BigInt(`0x${text}`)
}
