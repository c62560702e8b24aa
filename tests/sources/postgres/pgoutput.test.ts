/**
 * The pgoutput decoder and the replication frames against byte layouts written out here from the
 * PostgreSQL manual ("Logical Replication Message Formats", "Streaming Replication Protocol"), so a
 * field read at the wrong offset or width fails here and not only as odd rows end to end.
 */
import { describe, expect, test } from 'bun:test'
import {
  decodePgOutput,
  decodeServerFrame,
  formatLsn,
  parseLsn,
  parsePosition,
  positionText,
  standbyStatus,
  UNCHANGED,
} from '../../../src/sources/postgres/pgoutput.ts'

/** Big-endian message bytes from typed pieces. */
function bytes(...pieces: ([string, number | bigint] | string | Uint8Array)[]): Uint8Array {
  const out: number[] = []
  for (const piece of pieces) {
    if (typeof piece === 'string') {
      out.push(...new TextEncoder().encode(piece), 0)
    } else if (piece instanceof Uint8Array) {
      out.push(...piece)
    } else {
      const [kind, value] = piece
      const width = { i8: 1, i16: 2, i32: 4, i64: 8 }[kind]!
      const view = new DataView(new ArrayBuffer(width))
      if (width === 1) view.setUint8(0, Number(value))
      if (width === 2) view.setInt16(0, Number(value))
      if (width === 4) view.setUint32(0, Number(value))
      if (width === 8) view.setBigUint64(0, BigInt(value))
      out.push(...new Uint8Array(view.buffer))
    }
  }
  return new Uint8Array(out)
}

const byte = (c: string): [string, number] => ['i8', c.charCodeAt(0)]
const text = (s: string): Uint8Array => {
  const b = new TextEncoder().encode(s)
  return bytes(byte('t'), ['i32', b.length], b)
}

// 2026-01-02T03:04:05.123456Z in microseconds since 2000-01-01.
const PG_MICROS = 820_638_245_123_456n
const UNIX_MICROS = 1_767_323_045_123_456n

describe('pgoutput messages', () => {
  test('begin and commit: positions, commit time in Unix micros, xid', () => {
    expect(
      decodePgOutput(bytes(byte('B'), ['i64', 0x1_0000_00a0n], ['i64', PG_MICROS], ['i32', 4_000_000_000])),
    )
      .toEqual({ tag: 'begin', finalLsn: 0x1_0000_00a0n, commitMicros: UNIX_MICROS, xid: 4_000_000_000 })
    expect(decodePgOutput(bytes(byte('C'), ['i8', 0], ['i64', 0xa0n], ['i64', 0xd8n], ['i64', PG_MICROS])))
      .toEqual({ tag: 'commit', commitLsn: 0xa0n, endLsn: 0xd8n, commitMicros: UNIX_MICROS })
  })

  test('relation: schema, name, identity, columns with key flags and type oids', () => {
    const message = bytes(
      byte('R'),
      ['i32', 16385],
      'public',
      'orders',
      byte('d'),
      ['i16', 2],
      ['i8', 1],
      'id',
      ['i32', 23],
      ['i32', -1 >>> 0],
      ['i8', 0],
      'note',
      ['i32', 25],
      ['i32', -1 >>> 0],
    )
    expect(decodePgOutput(message)).toEqual({
      tag: 'relation',
      oid: 16385,
      schema: 'public',
      name: 'orders',
      replicaIdentity: 'd',
      columns: [{ name: 'id', typeOid: 23, key: true }, { name: 'note', typeOid: 25, key: false }],
    })
  })

  test('insert, update with old key / old row / nothing, delete, truncate; NULL and unchanged TOAST', () => {
    const tuple = (...values: Uint8Array[]) => bytes(['i16', values.length], ...values)
    expect(decodePgOutput(bytes(byte('I'), ['i32', 7], byte('N'), tuple(text('1'), bytes(byte('n'))))))
      .toEqual({ tag: 'insert', oid: 7, tuple: ['1', null] })
    expect(decodePgOutput(bytes(byte('U'), ['i32', 7], byte('N'), tuple(text('1'), bytes(byte('u'))))))
      .toEqual({ tag: 'update', oid: 7, old: undefined, oldIsKey: false, tuple: ['1', UNCHANGED] })
    expect(
      decodePgOutput(
        bytes(
          byte('U'),
          ['i32', 7],
          byte('K'),
          tuple(text('1'), bytes(byte('n'))),
          byte('N'),
          tuple(text('2')),
        ),
      ),
    ).toEqual({ tag: 'update', oid: 7, old: ['1', null], oldIsKey: true, tuple: ['2'] })
    expect(
      decodePgOutput(bytes(byte('U'), ['i32', 7], byte('O'), tuple(text('é')), byte('N'), tuple(text('ü')))),
    ).toEqual({ tag: 'update', oid: 7, old: ['é'], oldIsKey: false, tuple: ['ü'] })
    expect(decodePgOutput(bytes(byte('D'), ['i32', 7], byte('K'), tuple(text('3')))))
      .toEqual({ tag: 'delete', oid: 7, old: ['3'], oldIsKey: true })
    expect(decodePgOutput(bytes(byte('T'), ['i32', 2], ['i8', 1], ['i32', 7], ['i32', 8])))
      .toEqual({ tag: 'truncate', oids: [7, 8] })
    expect(decodePgOutput(bytes(byte('Y'), ['i32', 1], 'public', 'mood'))).toEqual({
      tag: 'other',
      type: 'Y',
    })
  })
})

describe('replication frames', () => {
  test('XLogData and keepalive', () => {
    const payload = bytes(byte('C'))
    const xlog = decodeServerFrame(bytes(byte('w'), ['i64', 0x10n], ['i64', 0x20n], ['i64', 0n], payload))
    expect(xlog).toEqual({ tag: 'xlog', start: 0x10n, walEnd: 0x20n, data: payload })
    expect(decodeServerFrame(bytes(byte('k'), ['i64', 0x1_0000_0000n], ['i64', 0n], ['i8', 1])))
      .toEqual({ tag: 'keepalive', walEnd: 0x1_0000_0000n, replyRequested: true })
  })

  test('standby status update: written = flushed = applied, client time in PostgreSQL micros', () => {
    const at = Date.UTC(2026, 0, 2, 3, 4, 5, 123)
    expect(standbyStatus(0xabcdn, true, at)).toEqual(
      bytes(byte('r'), ['i64', 0xabcdn], ['i64', 0xabcdn], ['i64', 0xabcdn], ['i64', 820_638_245_123_000n], [
        'i8',
        1,
      ]),
    )
  })

  test('positions: LSN text both ways, and 16 hex digits that sort as the log does', () => {
    expect(formatLsn(0x16_b374_d848n)).toBe('16/B374D848')
    expect(parseLsn('16/B374D848')).toBe(0x16_b374_d848n)
    expect(positionText(0x16_b374_d848n)).toBe('00000016B374D848')
    expect(parsePosition('00000016B374D848')).toBe(0x16_b374_d848n)
    const lsns = [0xfn, 0x1_0000_0000n, 0x9_ffff_ffffn, 0xa_0000_0000n]
    expect(lsns.map(positionText).sort()).toEqual(lsns.map(positionText))
  })
})
