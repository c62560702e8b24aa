/**
 * `mode: cdc`: the changes to a table, read from the database's change log through the source's
 * {@link ChangeCapture}. The first run writes a snapshot of the table consistent with the slot it
 * creates; every run then reads the changes committed up to the server's position at its start.
 * The position read to is saved in the state after the manifest, and only then confirmed to the
 * server, so a run that stops anywhere before leaves the next one to read the same changes again:
 * a repeat has the same (`_rivet_position`, `_rivet_seq`).
 */
import { configError } from '../../errors.ts'
import { formatBytes } from '../../log/progress.ts'
import { CHANGE_COLUMNS } from '../../sources/source.ts'
import { BATCH_LIMITS } from '../writer.ts'
import type { Mode } from './mode.ts'

/** Reads the slot up to the server's position at the start of the run. */
export const cdcMode: Mode<'cdc'> = {
  keepsState: true,
  keepsPartsOnFailure: false,
  async read(run) {
    const { plan, settings, logger } = run
    const capture = run.source.capture
    if (!capture) {
      throw configError(
        `export ${plan.name}: mode: cdc is not available for ${run.source.engine} sources yet (PostgreSQL has it)`,
      )
    }
    const session = run.state!
    const saved = session.state.capture
    // A first run that made the slot and stopped before committing left its claim: if its
    // manifest is not there either, nothing was read from the slot, which is made again.
    let replace = false
    if (saved && !saved.position) {
      if (await run.committed(saved.run_id)) {
        throw configError(
          `export ${plan.name}: run ${saved.run_id} wrote its snapshot but stopped before saving its position; ` +
            `run rivet cdc drop -e ${plan.name} and rivet state reset -e ${plan.name} to start over`,
          'STATE_MISMATCH',
        )
      }
      replace = true
      logger.info(
        `export ${plan.name}: run ${saved.run_id} made slot ${saved.slot} and stopped before committing; ` +
          'the slot and its snapshot are made again',
      )
    }
    if (saved && saved.slot !== settings.slot) {
      throw configError(
        `export ${plan.name}: the state at ${session.where} is about slot ${saved.slot}, the config names ` +
          `${settings.slot}; run rivet state reset -e ${plan.name} to start over with a new snapshot`,
        'STATE_MISMATCH',
      )
    }
    const target = { table: settings.table, slot: settings.slot, publication: settings.publication }
    const status = await capture.status(target)
    if (status.slot && status.slot.retainedBytes > settings.maxSlotLag) {
      logger.warn(
        `export ${plan.name}: replication slot ${settings.slot} keeps ${
          formatBytes(status.slot.retainedBytes)
        } of change log on the server (max_slot_lag ${formatBytes(settings.maxSlotLag)}); run this export ` +
          `more often, or remove the slot with rivet cdc drop -e ${plan.name} if it is no longer used`,
      )
    }
    const table = plan.columns.slice(0, plan.columns.length - CHANGE_COLUMNS.length)
    const feed = await capture.open(target, table, saved?.position, replace, BATCH_LIMITS)
    let parts
    try {
      // The slot is this export's from now on: a run that stops before committing leaves the claim.
      if (feed.snapshot) {
        await session.save({ ...session.state, capture: { slot: settings.slot, run_id: run.runId } })
      }
      logger.info(
        feed.snapshot
          ? `export ${plan.name}: created slot ${settings.slot}; writing a snapshot of ${settings.table}, then its changes`
          : `export ${plan.name}: reading changes of ${settings.table} from position ${saved!.position}`,
      )
      parts = await run.writer.slice(feed.batches, undefined, run.signal)
    } catch (error) {
      await feed.close()
      throw error
    }
    const position = feed.position()
    if (feed.stopped) {
      logger.warn(
        `export ${plan.name}: ${settings.table} changed (${feed.stopped}); this run stops at ${position}, the ` +
          'next one reads on with the columns as they are then',
      )
    }
    return {
      parts,
      cursor: { column: '_rivet_position', from: saved?.position ?? null, to: position },
      range: undefined,
      alreadyExported: 0,
      commit: (state) => ({ ...state, capture: { slot: settings.slot, position, run_id: run.runId } }),
      finish: async (committed) => {
        try {
          if (committed) await feed.confirm()
        } catch (error) {
          // The state holds the position, and the next run starts there whatever the slot says.
          logger.warn(
            `export ${plan.name}: committed up to ${position}, but the server was not told (${
              (error as Error).message
            }); it keeps that change log until the next run confirms it`,
          )
        } finally {
          await feed.close()
        }
      },
    }
  },
}
