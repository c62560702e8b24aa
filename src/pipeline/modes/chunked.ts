/**
 * `mode: chunked`: the query split into ranges of `chunk_column`, read by `parallel` workers on
 * connections of their own. After each chunk's parts are written, the state's checkpoint records
 * them; a run that crashed or was interrupted continues with `rivet run --resume`, exporting only
 * the chunks that never committed, under the same run id. The manifest lists every chunk's parts
 * once all are done.
 */
import { RivetError } from '../../errors.ts'
import type { Source } from '../../sources/source.ts'
import { type Chunk, planChunks } from '../chunks.ts'
import type { PartRecord } from '../parts.ts'
import type { Checkpoint } from '../state.ts'
import { pause } from '../pause.ts'
import type { Mode, ModeRun } from './mode.ts'

/** Whether a source failure is a lost or refused connection, which a new connection may not have. */
function connectionLost(error: unknown): boolean {
  return error instanceof RivetError &&
    (error.code === 'SOURCE_CONNECTION_LOST' || error.code === 'SOURCE_UNREACHABLE')
}

/** Exports every chunk not yet committed; returns all parts in chunk order. */
async function runChunks(run: ModeRun<'chunked'>): Promise<PartRecord[]> {
  const { plan, settings, writer, logger } = run
  const session = run.state!
  let checkpoint: Checkpoint
  if (run.resume) {
    checkpoint = run.resume
  } else {
    const chunks = await planChunks(run.source, plan.query, settings.column, settings.chunkSize)
    checkpoint = {
      run_id: run.runId,
      started_at: run.startedAt.toISOString(),
      column: settings.column.name,
      chunk_size: settings.chunkSize,
      chunks,
      done: {},
      next_part: 0,
    }
    await session.save({ ...session.state, checkpoint })
  }
  const todo = checkpoint.chunks.map((_, i) => i).filter((i) => !(String(i) in checkpoint.done))
  logger.info(
    `export ${plan.name}: ${checkpoint.chunks.length} chunk(s) of ${checkpoint.chunk_size} ${checkpoint.column}` +
      (run.resume ? `, ${todo.length} left to export` : ''),
  )

  // Checkpoints are written one at a time, each on the version the previous one left.
  let saving = Promise.resolve()
  const record = (index: number, parts: PartRecord[]) => {
    saving = saving.then(async () => {
      checkpoint = { ...checkpoint, done: { ...checkpoint.done, [index]: parts }, next_part: writer.nextPart }
      await session.save({ ...session.state, checkpoint })
    })
    return saving
  }

  // The first failure stops the other workers; their chunks in flight are discarded.
  const stop = new AbortController()
  const signal = AbortSignal.any([run.signal, stop.signal])
  let failure: unknown
  // A chunk whose source connection is lost is read again on a new connection (its parts from
  // the failed try are already removed); any other failure stops the run.
  const worker = async (first: Source | undefined) => {
    let source = first
    /** Whether `source` is a connection of this worker's own, closed when it is done. */
    let owned = false
    try {
      while (todo.length && !signal.aborted) {
        const index = todo.shift()!
        const chunk: Chunk = checkpoint.chunks[index]
        for (let attempt = 1;; attempt++) {
          try {
            if (!source) {
              source = await run.openSource()
              owned = true
            }
            const parts = await writer.slice(source, { column: settings.column, ...chunk }, signal)
            await record(index, parts)
            break
          } catch (error) {
            if (signal.aborted || attempt >= settings.maxAttempts || !connectionLost(error)) throw error
            logger.warn(
              `export ${plan.name}: chunk ${index + 1} of ${checkpoint.chunks.length}: ${
                (error as Error).message
              }; ` +
                `trying again on a new connection (${attempt + 1} of ${settings.maxAttempts})`,
            )
            if (owned) await source?.close().catch(() => {})
            source = undefined
            await pause(1000 * 2 ** (attempt - 1), signal)
          }
        }
      }
    } finally {
      if (owned) await source?.close()
    }
  }
  const workers = Math.min(settings.parallel, todo.length)
  const running: Promise<void>[] = []
  for (let w = 0; w < workers; w++) {
    running.push((async () => {
      try {
        // The first worker reads on the run's connection; the others open their own.
        await worker(w === 0 ? run.source : undefined)
      } catch (error) {
        failure ??= error
        stop.abort(error)
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
        `rivet run -e ${plan.name} --resume exports the rest`
    }
    throw reason
  }
  return checkpoint.chunks.flatMap((_, i) => checkpoint.done[String(i)] ?? [])
}

/** Reads every chunk, resuming an interrupted run when asked; the commit drops the checkpoint. */
export const chunkedMode: Mode<'chunked'> = {
  keepsState: true,
  // Committed chunks stay for --resume.
  keepsPartsOnFailure: true,
  resumable(state, resume, plan, logger) {
    const checkpoint = state.checkpoint
    if (checkpoint && !resume) {
      logger.warn(
        `export ${plan.name}: run ${checkpoint.run_id} was interrupted; starting a new run (rivet run --resume would continue it)`,
      )
      return undefined
    }
    if (resume && !checkpoint) {
      logger.info(`export ${plan.name}: no interrupted run to resume; starting a new one`)
    }
    if (resume && checkpoint && plan.quality) {
      logger.warn(
        `export ${plan.name}: quality rules measure only the chunks this resumed run exports, not those committed before`,
      )
    }
    return resume ? checkpoint : undefined
  },
  async read(run) {
    return {
      parts: await runChunks(run),
      cursor: null,
      range: undefined,
      alreadyExported: 0,
      commit: (s) => ({ ...s, checkpoint: undefined }),
    }
  },
}
