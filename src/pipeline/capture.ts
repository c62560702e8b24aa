/**
 * The settings of a `mode: cdc` export: the slot and publication it reads (named after the
 * export unless given) and the columns of its change rows. Apart from modes/cdc.ts so the plan
 * and the CLI can name them without importing a mode.
 */
import type { ExportConfig } from '../config/schema.ts'
import { CHANGE_COLUMNS } from '../sources/source.ts'
import type { Column } from '../types/output.ts'

/** Change log a slot may keep before every run warns: a forgotten slot fills the server's disk. */
export const DEFAULT_MAX_SLOT_LAG = 1024 ** 3

/** How often `rivet run --follow` commits what it read. */
export const DEFAULT_ROLLOVER_SECONDS = 300

/** The slot an export reads unless `slot:` names one: `rivet_<name>`, as slot names allow. */
export function defaultSlotName(exportName: string): string {
  return `rivet_${exportName.toLowerCase().replaceAll('-', '_')}`.slice(0, 63)
}

/** The cdc settings of an export, with their defaults. */
export function capturePlan(
  exp: ExportConfig,
): {
  mode: 'cdc'
  table: string
  slot: string
  publication: string
  maxSlotLag: number
  rolloverSeconds: number
} {
  const slot = exp.slot ?? defaultSlotName(exp.name)
  return {
    mode: 'cdc',
    table: exp.table!,
    slot,
    publication: exp.publication ?? slot,
    maxSlotLag: exp.max_slot_lag ?? DEFAULT_MAX_SLOT_LAG,
    rolloverSeconds: exp.rollover ?? DEFAULT_ROLLOVER_SECONDS,
  }
}

/**
 * A change row's columns: the table's, each nullable (a delete carries only the key unless the
 * table's replica identity is FULL), then the change columns.
 */
export function changeColumns(table: Column[]): Column[] {
  return [...table.map((c) => ({ ...c, nullable: true })), ...CHANGE_COLUMNS]
}
