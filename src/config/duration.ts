/** Durations in config values: `900s`, `45m`, `1h` or a plain number of seconds. */
import { configError } from '../errors.ts'

const seconds: Record<string, number> = { s: 1, m: 60, h: 3600 }

/** Parses a duration into whole seconds; a plain number is seconds. */
export function parseDuration(value: string | number, where: string): number {
  if (typeof value === 'number') return value
  const m = /^(\d+)\s*([smh])$/i.exec(value.trim())
  if (!m) throw configError(`${where}: "${value}" is not a duration such as 900s, 45m or 1h`)
  return Number(m[1]) * seconds[m[2].toLowerCase()]
}
