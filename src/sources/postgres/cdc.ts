/**
 * Change data capture from PostgreSQL: logical replication with the built-in `pgoutput` plugin
 * over the replication protocol, on a second postgres.js connection opened in replication mode
 * (postgres.js hands a CopyBoth stream to `unsafe(...).writable()`); pgoutput.ts decodes the
 * messages. A first run creates the slot with an exported snapshot and reads the table in that
 * snapshot on the source's own connection, so the snapshot and the changes after it meet
 * exactly at the slot's consistent point. A run reads up to the server's WAL position when it
 * opened the feed; the slot's confirmed position moves only on {@link ChangeFeed.confirm}.
 */
import type { Duplex } from 'node:stream'
import postgres from 'postgres'
import { authError, destinationError, type RivetError, sourceError } from '../../errors.ts'
import type { Column } from '../../types/output.ts'
import type { DriverValue } from '../../types/convert.ts'
import type { ColumnBatch, Value } from '../../types/values.ts'
import { BatchBuilder, garbagePacer, type Prepare } from '../batch.ts'
import {
  type BatchLimits,
  type CaptureStatus,
  type CaptureTarget,
  CHANGE_COLUMNS,
  type ChangeCapture,
  type ChangeFeed,
  quoteIdentifier,
} from '../source.ts'
import { pgLiteral } from './copy.ts'
import { pgError } from './errors.ts'
import {
  decodePgOutput,
  decodeServerFrame,
  formatLsn,
  parseLsn,
  parsePosition,
  type PgOutputMessage,
  positionText,
  type RelationColumn,
  standbyStatus,
  type TupleValue,
  UNCHANGED,
} from './pgoutput.ts'

/** What the capture needs of the PostgreSQL source it belongs to. */
export interface PgCaptureHost {
  readonly target: string
  /** Runs a statement on the source's connection; rows as text. */
  queryText(sql: string, params: string[]): Promise<(string | null)[][]>
  /** Reads a query's rows on the source's connection (COPY). */
  read(request: { query: string; columns: Column[] }, limits: BatchLimits): ReadableStream<ColumnBatch>
  selectAll(table: string): string
  /** The preparation of each column's value as PostgreSQL writes it as text. */
  textPrepares(query: string, columns: Column[]): (Prepare | undefined)[]
}

/** How long to wait between asking the server how far its log goes. */
const POLL_MS = 100

/** `schema.table` -> its two parts; a bare name is in `public`. */
function splitTable(table: string): { schema: string; name: string } {
  const dot = table.indexOf('.')
  return dot < 0
    ? { schema: 'public', name: table }
    : { schema: table.slice(0, dot), name: table.slice(dot + 1) }
}

/** PostgreSQL's logical replication as a {@link ChangeCapture}. */
export class PgCapture implements ChangeCapture {
  constructor(
    private readonly host: PgCaptureHost,
    /** Options of a normal connection to the same server, which replication mode extends. */
    private readonly options: postgres.Options<Record<string, postgres.PostgresType>>,
  ) {}

  private async one(sql: string, params: string[] = []): Promise<(string | null)[] | undefined> {
    return (await this.host.queryText(sql, params))[0]
  }

  async status(target: CaptureTarget): Promise<CaptureStatus> {
    const [walLevel] = (await this.one('show wal_level'))!
    const row = await this.one(
      `select active::text, coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn), 0)::bigint::text,
              coalesce(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn), 0)::bigint::text,
              confirmed_flush_lsn::text
         from pg_replication_slots where slot_name = $1`,
      [target.slot],
    )
    return {
      setting: `wal_level = ${walLevel}`,
      fix: walLevel === 'logical'
        ? undefined
        : "ALTER SYSTEM SET wal_level = 'logical', then restart the server",
      slot: row && {
        active: row[0] === 'true',
        retainedBytes: Number(row[1]),
        lagBytes: Number(row[2]),
        confirmed: row[3],
      },
    }
  }

  async drop(target: CaptureTarget): Promise<{ slot: boolean; publication: boolean }> {
    const slot = await this.one('select active_pid::text from pg_replication_slots where slot_name = $1', [
      target.slot,
    ])
    if (slot?.[0]) throw await this.inUse(target, Number(slot[0]))
    if (slot) await this.host.queryText('select pg_drop_replication_slot($1)', [target.slot])
    const publication = await this.one('select 1 from pg_publication where pubname = $1', [
      target.publication,
    ])
    if (publication) {
      await this.host.queryText(`drop publication ${quoteIdentifier(target.publication, '"')}`, [])
    }
    return { slot: slot !== undefined, publication: publication !== undefined }
  }

  /** The error for a slot another process reads: a conflict when it is rivet, else a source error. */
  private async inUse(target: CaptureTarget, pid: number): Promise<RivetError> {
    const app = (await this.one('select application_name from pg_stat_activity where pid = $1::int', [
      String(pid),
    ]))?.[0] ?? 'unknown'
    if (app === applicationName(target)) {
      return destinationError(
        `replication slot ${target.slot} is being read by another rivet run (PID ${pid} on ${this.host.target}); ` +
          'this run committed nothing; run it again once that one ends',
        'STATE_CONFLICT',
      )
    }
    return sourceError(
      `replication slot ${target.slot} on ${this.host.target} is in use by PID ${pid} (${app}); stop that ` +
        'consumer, or give this export its own slot with the slot: key',
      'CDC_SLOT_IN_USE',
    )
  }

  /** Refuses a server, user or table that cannot capture, before anything is created. */
  private async checkReady(target: CaptureTarget): Promise<TableShape> {
    const where = this.host.target
    const [walLevel] = (await this.one('show wal_level'))!
    if (walLevel !== 'logical') {
      throw sourceError(
        `PostgreSQL at ${where} has wal_level = ${walLevel}; CDC needs logical: run ALTER SYSTEM SET wal_level = ` +
          "'logical' and restart the server",
        'CDC_NOT_ENABLED',
      )
    }
    const [user, may] = (await this.one(
      'select current_user::text, (rolreplication or rolsuper)::text from pg_roles where rolname = current_user',
    ))!
    if (may !== 'true') {
      throw authError(
        `PostgreSQL at ${where}: role ${user} may not read a replication slot; run ALTER ROLE ${user} REPLICATION`,
        'PERMISSION_DENIED',
      )
    }
    const { schema, name } = splitTable(target.table)
    const table = await this.one(
      `select c.relreplident::text,
              (select string_agg(a.attname, ',' order by a.attnum) from pg_index i
                 join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                where i.indrelid = c.oid and (i.indisprimary or (c.relreplident = 'i' and i.indisreplident))),
              c.oid::text
         from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = $1 and c.relname = $2 and c.relkind in ('r', 'p')`,
      [schema, name],
    )
    if (!table) {
      throw sourceError(`PostgreSQL at ${where}: table ${target.table} does not exist`, 'SOURCE_QUERY')
    }
    const [identity, keys, oid] = table
    if (identity === 'n' || (identity === 'd' && !keys)) {
      const quoted = `${quoteIdentifier(schema, '"')}.${quoteIdentifier(name, '"')}`
      throw sourceError(
        `table ${target.table} has no primary key and no replica identity, so its updates and deletes cannot be ` +
          `captured; add a primary key or run ALTER TABLE ${quoted} REPLICA IDENTITY FULL`,
        'CDC_NO_IDENTITY',
      )
    }
    const types = await this.host.queryText(
      'select attname::text, atttypid::int::text from pg_attribute where attrelid = $1::oid and attnum > 0 ' +
        'and not attisdropped',
      [oid!],
    )
    return { keys: keys ? keys.split(',') : [], types: new Map(types.map(([n, t]) => [n!, Number(t)])) }
  }

  /** Creates the publication of the table, or checks that the one there publishes it. */
  private async ensurePublication(target: CaptureTarget): Promise<void> {
    const { schema, name } = splitTable(target.table)
    const quotedTable = `${quoteIdentifier(schema, '"')}.${quoteIdentifier(name, '"')}`
    const quoted = quoteIdentifier(target.publication, '"')
    const exists = await this.one('select 1 from pg_publication where pubname = $1', [target.publication])
    if (!exists) {
      await this.host.queryText(`create publication ${quoted} for table ${quotedTable}`, [])
      return
    }
    const has = await this.one(
      'select 1 from pg_publication_tables where pubname = $1 and schemaname = $2 and tablename = $3',
      [target.publication, schema, name],
    )
    if (!has) {
      throw sourceError(
        `publication ${target.publication} on ${this.host.target} does not publish ${target.table}; run ` +
          `ALTER PUBLICATION ${quoted} ADD TABLE ${quotedTable}, or name another one with the publication: key`,
        'CDC_PUBLICATION',
      )
    }
  }

  async open(
    target: CaptureTarget,
    columns: Column[],
    from: string | undefined,
    replace: boolean,
    limits: BatchLimits,
  ): Promise<ChangeFeed> {
    try {
      const shape = await this.checkReady(target)
      await this.ensurePublication(target)
      const slot = await this.one(
        'select active_pid::text, confirmed_flush_lsn::text from pg_replication_slots where slot_name = $1',
        [target.slot],
      )
      if (slot?.[0]) throw await this.inUse(target, Number(slot[0]))
      if (from === undefined && slot && replace) {
        await this.host.queryText('select pg_drop_replication_slot($1)', [target.slot])
      } else if (from === undefined && slot) {
        throw sourceError(
          `replication slot ${target.slot} exists on ${this.host.target} but this export's state does not know it ` +
            '(a slot of something else, or the state was reset), so no snapshot consistent with it can be ' +
            'taken; remove it with rivet cdc drop and run again, or name another slot with the slot: key',
          'CDC_SLOT_UNKNOWN',
        )
      }
      if (from !== undefined && !slot) {
        throw sourceError(
          `replication slot ${target.slot} is gone from ${this.host.target}, so the changes after position ${from} ` +
            'cannot be read; run rivet state reset for this export to start over with a new snapshot',
          'CDC_SLOT_GONE',
        )
      }
      if (from !== undefined && slot?.[1] && parseLsn(slot[1]) > parsePosition(from)) {
        // Most likely another run of the export committed after this one read the state.
        throw destinationError(
          `replication slot ${target.slot} on ${this.host.target} was confirmed at ${
            slot[1]
          }, past this export's ` +
            `position ${formatLsn(parsePosition(from))}: another run committed meanwhile (run again), or ` +
            'something else read the slot (rivet state reset and rivet cdc drop to start over)',
          'STATE_CONFLICT',
        )
      }
      const replication = postgres({
        ...this.options,
        max: 1,
        connection: {
          ...this.options.connection,
          replication: 'database',
          application_name: applicationName(target),
        },
      })
      const feed = new PgChangeFeed(
        this.host,
        replication,
        target,
        columns,
        shape,
        limits,
        (pid) => this.inUse(target, pid),
      )
      try {
        await feed.start(from)
      } catch (error) {
        await feed.close()
        throw error
      }
      return feed
    } catch (error) {
      throw pgError(error, this.host.target)
    }
  }
}

/** The replication connection's name: how a run recognizes another run of the same export. */
function applicationName(target: CaptureTarget): string {
  return `rivet cdc ${target.slot}`
}

/** The table as the catalog has it when a read opens. */
interface TableShape {
  /** The columns of its primary key (or replica identity index). */
  keys: string[]
  /** Each column's type oid. */
  types: Map<string, number>
}

/** A transaction of the stream, from its begin message on. */
interface Transaction {
  /** Its commit's place in the log, known from its begin (see readChanges): every row carries it. */
  position: string
  commitMicros: bigint
  /** Read (and committed) by an earlier run: skipped. */
  read: boolean
  /** Rows moved into batches so far: the next row's `_rivet_seq`. */
  seq: bigint
  /** Rows not yet in a batch. */
  rows: DriverValue[][]
  /** Some of its rows are in a batch already. */
  streamed: boolean
}

/** A relation as the stream last described it, mapped onto the export's columns. */
interface Relation {
  /** How its columns differ from the export's in a way rows cannot be written with; else undefined. */
  changed: string | undefined
  /** For each relation column, the export column it fills. */
  columnIndex: number[]
  /** The relation columns of the table's key (primary key or identity index). */
  keyColumns: number[]
}

/** One bounded read of a slot. */
class PgChangeFeed implements ChangeFeed {
  snapshot = false
  readonly batches: ReadableStream<ColumnBatch>
  /** How far the read has got: every transaction that ends at or before it has been read. */
  private at = 0n
  /** Read up to here: the server's position when the feed opened. */
  private until = 0n
  private stream: Duplex | undefined
  private frames: AsyncIterator<Uint8Array> | undefined
  private snapshotRows: ReadableStream<ColumnBatch> | undefined
  private readonly relations = new Map<number, Relation | undefined>()
  private readonly builder: BatchBuilder
  private readonly width: number
  private readonly table: { schema: string; name: string }
  private poll: ReturnType<typeof setTimeout> | undefined

  constructor(
    private readonly host: PgCaptureHost,
    private readonly replication: postgres.Sql,
    private readonly target: CaptureTarget,
    private readonly columns: Column[],
    private readonly shape: TableShape,
    private readonly limits: BatchLimits,
    /** The error for the slot read by process `pid` meanwhile. */
    private readonly inUse: (pid: number) => Promise<RivetError>,
  ) {
    this.table = splitTable(target.table)
    this.width = columns.length
    const query = host.selectAll(target.table)
    const pass = (v: DriverValue) => v as Value
    this.builder = new BatchBuilder(
      [...columns, ...CHANGE_COLUMNS],
      host.textPrepares(query, columns),
      [...columns.map(() => undefined), pass, pass, pass, pass, pass],
    )
    // Nothing is read before the first read: the slot and its snapshot are made in start().
    this.batches = new ReadableStream<ColumnBatch>({
      pull: (controller) => this.pull(controller),
      cancel: () => this.close(),
    }, { highWaterMark: 0 })
  }

  /** Creates the slot with its snapshot on a first run; learns where this read ends. */
  async start(from: string | undefined): Promise<void> {
    if (from === undefined) {
      const [created] = await this.replication.unsafe(
        `CREATE_REPLICATION_SLOT ${quoteIdentifier(this.target.slot, '"')} LOGICAL pgoutput EXPORT_SNAPSHOT`,
      )
      this.at = parseLsn(String(created.consistent_point))
      // The exported snapshot lives until the replication connection's next command: import it now.
      await this.host.queryText('begin isolation level repeatable read, read only', [])
      await this.host.queryText(`set transaction snapshot ${pgLiteral(String(created.snapshot_name))}`, [])
      this.snapshot = true
      this.snapshotRows = this.readSnapshot()
    } else {
      this.at = parsePosition(from)
    }
    this.until = parseLsn(String((await this.host.queryText('select pg_current_wal_lsn()::text', []))[0][0]))
    this.started = this.at
    this.confirmed = this.at
  }

  /** The table in the slot's snapshot, as `r` rows at the slot's consistent point. */
  private readSnapshot(): ReadableStream<ColumnBatch> {
    const position = positionText(this.at)
    let seq = 0n
    const rows = this.host.read(
      { query: this.host.selectAll(this.target.table), columns: this.columns },
      this.limits,
    )
    return rows.pipeThrough(
      new TransformStream<ColumnBatch, ColumnBatch>({
        transform: (batch, controller) => {
          const n = batch.length
          const seqs: Value[] = new Array(n)
          for (let i = 0; i < n; i++) seqs[i] = seq++
          controller.enqueue({
            length: n,
            bytes: batch.bytes + n * 40,
            columns: [
              ...batch.columns,
              new Array<Value>(n).fill('r'),
              new Array<Value>(n).fill(position),
              new Array<Value>(n).fill(null),
              seqs,
              new Array<Value>(n).fill(null),
            ],
          })
        },
      }),
    )
  }

  position(): string {
    return positionText(this.at)
  }

  /** Why the read ended before the server's position, if it did. */
  stopped: string | undefined

  /** Where the read started. */
  private started = 0n

  private async pull(controller: ReadableStreamDefaultController<ColumnBatch>): Promise<void> {
    try {
      if (this.snapshotRows) {
        const reader = this.snapshotRows.getReader()
        const next = await reader.read()
        reader.releaseLock()
        if (!next.done) return controller.enqueue(next.value)
        this.snapshotRows = undefined
        await this.host.queryText('commit', [])
      }
      await this.startStreaming()
      const more = await this.readChanges()
      // A batch that ends inside a transaction says so: the part must not end after it.
      if (this.builder.length) {
        controller.enqueue(this.txn ? { ...this.builder.take(), continues: true } : this.builder.take())
      }
      if (!more) controller.close()
    } catch (error) {
      throw pgError(error, this.host.target)
    }
  }

  private async startStreaming(): Promise<void> {
    if (this.stream) return
    const publication = pgLiteral(this.target.publication)
    const stream = await this.replication.unsafe(
      `START_REPLICATION SLOT ${quoteIdentifier(this.target.slot, '"')} LOGICAL ${formatLsn(this.at)} ` +
        `(proto_version '1', publication_names ${publication})`,
    ).writable().catch(async (error) => {
      // 55006 object_in_use: another process took the slot since open() looked.
      const pid = /PID (\d+)/.exec(String(error?.message))?.[1]
      throw error?.code === '55006' && pid ? await this.inUse(Number(pid)) : error
    }) as unknown as Duplex
    this.stream = stream
    this.frames = stream[Symbol.asyncIterator]()
    // Ask at once how far the server's log goes: an idle server would say so only every
    // wal_sender_timeout / 2.
    this.send(true)
  }

  /** A status update that confirms no more than the slot was last told. */
  private send(replyRequested: boolean): void {
    this.stream?.write(standbyStatus(this.confirmed, replyRequested))
  }

  /** What the slot was last told: nothing past it until the run commits. */
  private confirmed = 0n

  private readonly collect = garbagePacer()

  /** The transaction being read, from its begin to its commit. */
  private txn: Transaction | undefined

  /**
   * Reads transactions into the batch until it is full (true: more to read) or the server's
   * position at the start is reached (false). A transaction's rows wait until there is a batch of
   * them, then go on in batches: a transaction of any size takes the memory of a batch or two.
   */
  private async readChanges(): Promise<boolean> {
    while (true) {
      const next = await this.frames!.next()
      if (next.done) throw new Error('the server ended the replication stream')
      // Every message leaves garbage (its frame, its decoded tuple): collected by the input read.
      this.collect(next.value.length)
      const frame = decodeServerFrame(next.value)
      if (!frame) continue
      if (frame.tag === 'keepalive') {
        if (this.txn) {
          if (frame.replyRequested) this.send(false)
          continue
        }
        if (frame.walEnd > this.at) this.at = frame.walEnd
        if (this.at >= this.until) return false
        clearTimeout(this.poll)
        this.poll = setTimeout(() => this.send(true), frame.replyRequested ? 0 : POLL_MS)
        continue
      }
      const message = decodePgOutput(frame.data)
      switch (message.tag) {
        case 'begin':
          this.txn = {
            // One past its commit record's start: a commit record may start exactly at the slot's
            // consistent point, the position of the snapshot's rows, and must sort after them.
            position: positionText(message.finalLsn + 1n),
            commitMicros: message.commitMicros,
            // Its commit is before where this read starts: the run that committed `at` has it.
            read: message.finalLsn < this.at,
            seq: 0n,
            rows: [],
            streamed: false,
          }
          break
        case 'relation': {
          const relation = this.relation(message)
          this.relations.set(message.oid, relation)
          if (relation?.changed) {
            if (this.txn?.streamed) {
              // Its first rows are in the part being written: the run cannot end before it.
              throw sourceError(
                `table ${this.target.table} changed (${relation.changed}) inside a transaction whose first ` +
                  `${this.txn.seq} rows this run had written; it commits nothing: run it again, the next run ` +
                  'plans the columns as they are then',
                'CDC_SCHEMA_CHANGED',
              )
            }
            // Stop before this transaction: the next run plans the table's columns as they are then.
            if (!this.snapshot && this.at === this.started && !this.builder.length) {
              throw sourceError(
                `table ${this.target.table} changed since the changes the slot holds next (${relation.changed}), ` +
                  'so they cannot be written with its columns now; accept losing them with rivet cdc drop and ' +
                  'rivet state reset for this export (a new snapshot), or restore the column',
                'CDC_SCHEMA_CHANGED',
              )
            }
            this.txn = undefined
            this.stopped = relation.changed
            return false
          }
          break
        }
        case 'commit': {
          const txn = this.txn
          this.txn = undefined
          if (txn && !txn.read) {
            this.flush(txn)
            this.at = message.endLsn
          }
          if (this.at >= this.until) return false
          // A transaction that took batches ends its last: its part may roll right after it.
          if (txn?.streamed || this.builder.full(this.limits)) return true
          break
        }
        default: {
          const txn = this.txn
          if (!txn || txn.read) break
          this.changeRows(message, txn.rows)
          if (txn.rows.length > this.limits.rows) {
            // The last row waits for the commit's batch, the one the part may end after.
            this.flush(txn, 1)
            txn.streamed = true
            if (this.builder.full(this.limits)) return true
          }
        }
      }
    }
  }

  /** Moves the transaction's waiting rows but the last `keep` into the batch, numbered in order. */
  private flush(txn: Transaction, keep = 0): void {
    const n = txn.rows.length - keep
    for (let i = 0; i < n; i++) {
      const row = txn.rows[i]
      row[this.width + 1] = txn.position
      row[this.width + 2] = txn.commitMicros
      row[this.width + 3] = txn.seq++
      this.builder.add(row)
    }
    txn.rows.splice(0, n)
  }

  /** Maps a relation of the stream onto the export's columns; other tables are not ours. */
  private relation(message: Extract<PgOutputMessage, { tag: 'relation' }>): Relation | undefined {
    if (message.schema !== this.table.schema || message.name !== this.table.name) return undefined
    const names = this.columns.map((c) => c.name)
    const streamed = message.columns.map((c: RelationColumn) => c.name)
    // Columns the export has and the change does not were added since: NULL in these rows. A column
    // the export lacks, or of another type now, cannot be written with this run's columns.
    const changed = [
      ...streamed.filter((n) => !names.includes(n)).map((n) => `column ${n} is not in the export`),
      ...message.columns.filter((c) => names.includes(c.name) && this.shape.types.get(c.name) !== c.typeOid)
        .map((c) => `column ${c.name} has another type`),
    ].join(', ')
    return {
      changed: changed || undefined,
      columnIndex: streamed.map((n) => names.indexOf(n)),
      keyColumns: this.shape.keys.map((k) => streamed.indexOf(k)),
    }
  }

  /** The rows of one change, added to its transaction; seq, position and time are set by flush. */
  private changeRows(message: PgOutputMessage, rows: DriverValue[][]): void {
    if (message.tag === 'truncate') {
      for (const oid of message.oids) if (this.relations.get(oid)) rows.push(this.row('t', [], undefined))
      return
    }
    if (message.tag !== 'insert' && message.tag !== 'update' && message.tag !== 'delete') return
    const relation = this.relations.get(message.oid)
    if (!relation) return
    if (message.tag === 'insert') {
      rows.push(this.row('c', message.tuple, relation))
    } else if (message.tag === 'delete') {
      rows.push(this.row('d', message.old, relation))
    } else {
      const old = message.old
      // An unchanged TOASTed value is taken from the old row when the replica identity sends it whole.
      const tuple = old && !message.oldIsKey
        ? message.tuple.map((v, i) => v === UNCHANGED && old[i] !== UNCHANGED ? old[i] : v)
        : message.tuple
      const keyChanged = old !== undefined &&
        (message.oldIsKey || relation.keyColumns.some((i) => i >= 0 && old[i] !== tuple[i]))
      if (keyChanged) {
        // A new key is a new row for whoever replays by key: the old one goes first.
        rows.push(this.row('d', old, relation))
        rows.push(this.row('c', tuple, relation))
      } else {
        rows.push(this.row('u', tuple, relation))
      }
    }
  }

  private row(op: string, tuple: TupleValue[], relation: Relation | undefined): DriverValue[] {
    const row: DriverValue[] = new Array(this.width + CHANGE_COLUMNS.length).fill(null)
    const unchanged: string[] = []
    tuple.forEach((value, i) => {
      const c = relation!.columnIndex[i]
      if (value === UNCHANGED) unchanged.push(this.columns[c].name)
      else row[c] = value
    })
    row[this.width] = op
    row[this.width + 4] = unchanged.length ? unchanged.join(',') : null
    return row
  }

  async confirm(): Promise<void> {
    this.confirmed = this.at
    if (!this.stream) {
      // Nothing was streamed (only a snapshot): the slot is already at the snapshot's position.
      return
    }
    await new Promise<void>((resolve, reject) =>
      this.stream!.write(standbyStatus(this.at, false), (e) => e ? reject(e) : resolve())
    )
  }

  async close(): Promise<void> {
    clearTimeout(this.poll)
    const stream = this.stream
    this.stream = undefined
    if (stream) {
      // Changes past the end of this read are not wanted: let them flow out so the server sees
      // the end of the stream (CopyDone).
      stream.on('data', () => {})
      stream.on('error', () => {})
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000)
        stream.end(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
    if (this.snapshotRows) {
      await this.snapshotRows.cancel().catch(() => {})
      await this.host.queryText('rollback', []).catch(() => {})
    }
    await this.replication.end({ timeout: 1 }).catch(() => {})
  }
}
