/**
 * Chunked exports: the query split into ranges of `chunk_column`, read by `parallel` workers on
 * connections of their own. After each chunk's parts are written, the state's checkpoint records
 * them; a run that crashed or was interrupted continues with `rivet run --resume`, exporting only
 * the chunks that never committed, under the same run id. The manifest lists every chunk's parts
 * once all are done.
 */
import type { ExportConfig } from '../config/schema.ts'
import { RivetError } from '../errors.ts'
import type { Logger } from '../log/logger.ts'
import type { Source } from '../sources/source.ts'
import type { Column } from '../types/output.ts'
import { type Chunk, planChunks } from './chunks.ts'
import type { PartRecord } from './parts.ts'
import type { ExportPlan } from './plan.ts'
import type { RunWriter } from './run.ts'
import type { Checkpoint, ExportState, StateStore } from './state.ts'

/** Everything a chunked run needs. */
export interface ChunkedRun {
  exp: ExportConfig
  plan: ExportPlan
  column: Column
  source: Source
  openSource: () => Promise<Source>
  writer: RunWriter
  store: StateStore
  state: ExportState
  version: string | undefined
  /** The checkpoint of the interrupted run being resumed. */
  resume: Checkpoint | undefined
  runId: string
  startedAt: Date
  logger: Logger
  signal: AbortSignal
}

/** Exports every chunk not yet committed; returns all parts in chunk order and the state written. */
export async function runChunks(run: ChunkedRun): Promise<{
  parts: PartRecord[]
  state: ExportState
  version: string | undefined
}> {
  const { exp, writer, store, logger } = run
  let state = run.state
  let version = run.version
  let checkpoint: Checkpoint
  if (run.resume) {
    checkpoint = run.resume
  } else {
    const chunks = await planChunks(run.source, run.plan.query, run.column, exp.chunk_size!)
    checkpoint = {
      run_id: run.runId,
      started_at: run.startedAt.toISOString(),
      column: run.column.name,
      chunk_size: exp.chunk_size!,
      chunks,
      done: {},
      next_part: 0,
    }
    state = { ...state, checkpoint }
    version = await store.save(state, version)
  }
  const todo = checkpoint.chunks.map((_, i) => i).filter((i) => !(String(i) in checkpoint.done))
  logger.info(
    `export ${exp.name}: ${checkpoint.chunks.length} chunk(s) of ${checkpoint.chunk_size} ${checkpoint.column}` +
      (run.resume ? `, ${todo.length} left to export` : ''),
  )

  // Checkpoints are written one at a time, each on the version the previous one left.
  let saving = Promise.resolve()
  const record = (index: number, parts: PartRecord[]) => {
    saving = saving.then(async () => {
      checkpoint = { ...checkpoint, done: { ...checkpoint.done, [index]: parts }, next_part: writer.nextPart }
      state = { ...state, checkpoint }
      version = await store.save(state, version)
    })
    return saving
  }

  // The first failure stops the other workers; their chunks in flight are discarded.
  const stop = new AbortController()
  const signal = AbortSignal.any([run.signal, stop.signal])
  let failure: unknown
  const worker = async (source: Source) => {
    while (todo.length && !signal.aborted) {
      const index = todo.shift()!
      const chunk: Chunk = checkpoint.chunks[index]
      const parts = await writer.slice(source, { column: run.column, ...chunk }, signal)
      await record(index, parts)
    }
  }
  const workers = Math.min(exp.parallel ?? 1, todo.length)
  const running: Promise<void>[] = []
  for (let w = 0; w < workers; w++) {
    running.push((async () => {
      const source = w === 0 ? run.source : await run.openSource()
      try {
        await worker(source)
      } catch (error) {
        failure ??= error
        stop.abort(error)
      } finally {
        if (w > 0) await source.close()
      }
    })())
  }
  await Promise.all(running)
  await saving.catch((error) => failure ??= error)
  // Interrupted between two chunks, the workers stop with nothing failing: the run must still
  // fail, or a manifest would list only the chunks done so far.
  if (failure === undefined && run.signal.aborted) failure = run.signal.reason
  if (failure !== undefined) {
    const reason = run.signal.aborted ? run.signal.reason : failure
    const done = Object.keys(checkpoint.done).length
    if (reason instanceof RivetError && done > 0) {
      reason.message += `; ${done} of ${checkpoint.chunks.length} chunks are committed: ` +
        `rivet run -e ${exp.name} --resume exports the rest`
    }
    throw reason
  }
  const parts = checkpoint.chunks.flatMap((_, i) => checkpoint.done[String(i)] ?? [])
  return { parts, state, version }
}
