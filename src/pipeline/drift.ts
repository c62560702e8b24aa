/**
 * Schema drift: the columns a run is about to write against the ones the last committed run
 * wrote (kept in the export's state), compared before any data moves. A lake directory whose
 * files disagree on a column's presence or type breaks its readers, so by default a removed,
 * renamed or retyped column stops the run, and an added one (or a nullability change) is a
 * warning; `on_schema_drift` makes every change fail, warn, or pass.
 */
import { z } from 'zod'
import { dataCheckError } from '../errors.ts'
import type { Logger } from '../log/logger.ts'
import { type Column, typeName } from '../types/output.ts'
import { RUN_ID_PATTERN } from './run-id.ts'

/** The output schema as the state records it. */
export const recordedSchemaSchema = z.strictObject({
  run_id: z.string().regex(RUN_ID_PATTERN).optional()
    .describe('the committed run that wrote it; absent when accepted with rivet state accept-schema'),
  columns: z.array(z.strictObject({
    name: z.string(),
    type: z.string().describe('output type, as in the manifest'),
    nullable: z.boolean(),
  })).describe('the output columns in file order, meta columns included'),
})

/** An output schema as the state records it. */
export type RecordedSchema = z.infer<typeof recordedSchemaSchema>
type SchemaColumn = RecordedSchema['columns'][number]

/** What `on_schema_drift` asks for; undefined is the default (fail on breaking changes). */
export type DriftPolicy = 'fail' | 'warn' | 'continue' | undefined

/** One difference between two schemas. */
export type DriftChange =
  | { kind: 'added' | 'removed'; column: string; type: string }
  | { kind: 'renamed'; column: string; to: string }
  | { kind: 'type' | 'nullability'; column: string; from: string; to: string }

/** The schema `columns` make, as the state records it. */
export function recordSchema(columns: Column[], runId?: string): RecordedSchema {
  return {
    ...(runId ? { run_id: runId } : {}),
    columns: columns.map((c) => ({ name: c.name, type: typeName(c.type), nullable: c.nullable })),
  }
}

function nullability(c: SchemaColumn): string {
  return c.nullable ? 'nullable' : 'NOT NULL'
}

/**
 * What changed from `before` to `after`: a column removed and another added at the same
 * position is a rename; columns in both may change type or nullability. Order alone is no change:
 * readers find columns by name.
 */
export function compareSchemas(before: SchemaColumn[], after: SchemaColumn[]): DriftChange[] {
  const afterNames = new Map(after.map((c) => [c.name, c]))
  const beforeNames = new Set(before.map((c) => c.name))
  const removed = before.map((c, i) => ({ c, i })).filter(({ c }) => !afterNames.has(c.name))
  const added = after.map((c, i) => ({ c, i })).filter(({ c }) => !beforeNames.has(c.name))
  const changes: DriftChange[] = []
  for (const r of removed) {
    const at = added.findIndex((a) => a.i === r.i)
    if (at >= 0) {
      changes.push({ kind: 'renamed', column: r.c.name, to: added[at].c.name })
      if (added[at].c.type !== r.c.type) {
        changes.push({ kind: 'type', column: added[at].c.name, from: r.c.type, to: added[at].c.type })
      }
      added.splice(at, 1)
    } else {
      changes.push({ kind: 'removed', column: r.c.name, type: r.c.type })
    }
  }
  for (const a of added) changes.push({ kind: 'added', column: a.c.name, type: a.c.type })
  for (const b of before) {
    const a = afterNames.get(b.name)
    if (!a) continue
    if (a.type !== b.type) changes.push({ kind: 'type', column: b.name, from: b.type, to: a.type })
    if (a.nullable !== b.nullable) {
      changes.push({ kind: 'nullability', column: b.name, from: nullability(b), to: nullability(a) })
    }
  }
  return changes
}

/** A change in words, e.g. `removed note (string)` or `amount int32 -> int64`. */
export function describeChange(change: DriftChange): string {
  switch (change.kind) {
    case 'added':
    case 'removed':
      return `${change.kind} ${change.column} (${change.type})`
    case 'renamed':
      return `renamed ${change.column} -> ${change.to}`
    case 'type':
      return `type of ${change.column} ${change.from} -> ${change.to}`
    case 'nullability':
      return `${change.column} ${change.from} -> ${change.to}`
  }
}

/** Whether the default policy stops a run for this change: readers of the old files break. */
function breaking(change: DriftChange): boolean {
  return change.kind === 'removed' || change.kind === 'renamed' || change.kind === 'type'
}

/** Whether `policy` stops a run with these changes. */
export function driftFails(changes: DriftChange[], policy: DriftPolicy): boolean {
  if (!changes.length || policy === 'warn' || policy === 'continue') return false
  return policy === 'fail' || changes.some(breaking)
}

/**
 * Compares the schema a run is about to write with the recorded one and applies the policy:
 * throws (exit 6) when it refuses, logs a warning when it warns. `accept` (`--accept-drift`)
 * lets any change through. Returns the changes.
 */
export function checkDrift(
  exportName: string,
  recorded: RecordedSchema | undefined,
  columns: Column[],
  policy: DriftPolicy,
  accept: boolean,
  logger: Logger,
): DriftChange[] {
  if (!recorded) return []
  const changes = compareSchemas(recorded.columns, recordSchema(columns).columns)
  if (!changes.length) return changes
  const since = recorded.run_id ? `since run ${recorded.run_id}` : 'since the accepted schema'
  const list = changes.map(describeChange).join('; ')
  if (!accept && driftFails(changes, policy)) {
    throw dataCheckError(
      `export ${exportName}: schema drift ${since}: ${list}; nothing was written. Fix the query, or accept ` +
        `the new schema with rivet state accept-schema -e ${exportName} (or rivet run --accept-drift)`,
      'SCHEMA_DRIFT',
    )
  }
  const message = `export ${exportName}: schema drift ${since}: ${list}${accept ? ' (accepted)' : ''}`
  if (policy === 'continue' || accept) logger.info(message)
  else logger.warn(message)
  return changes
}
