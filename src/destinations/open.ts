/** Opens the destination a config block describes, rooted at one export's directory. */
import { join } from 'node:path'
import type { DestinationConfig } from '../config/schema.ts'
import type { Destination } from './destination.ts'
import { LocalDestination } from './local.ts'
import { StdoutDestination } from './stdout.ts'

/** Values for the `{export}`, `{date}` and `{run_id}` placeholders. */
export interface Placeholders {
  export: string
  date: string
  run_id: string
}

/**
 * Fills placeholders in a path or prefix and appends `<export>/` unless the template already
 * places the export itself.
 */
export function exportRoot(template: string, values: Placeholders): string {
  const filled = template.replace(/\{(export|date|run_id)\}/g, (_, key: keyof Placeholders) => values[key])
  return template.includes('{export}') ? filled : join(filled, values.export)
}

/** The destination for one export run. */
export function openDestination(
  config: DestinationConfig,
  values: Placeholders,
  resolvePath: (p: string) => string,
): Destination {
  switch (config.type) {
    case 'local':
      return new LocalDestination(exportRoot(resolvePath(config.path), values))
    case 'stdout':
      return new StdoutDestination()
  }
}
