/**
 * Sizes and durations in config values: `256MB`, `1.5GB`, `64KiB` or a plain number of bytes;
 * `900s`, `45m`, `1h` or a plain number of seconds. The schema checks the text against these
 * grammars and turns it into numbers once, so nothing below the config parses them again.
 */

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1024 ** 4,
  tib: 1024 ** 4,
}

/** A size as text: a number and an optional unit (KB, MB, GB and TB are powers of 1024). */
export const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib|tb|tib)?$/i

/** Bytes in a size that matches {@link SIZE_PATTERN}; a plain number is bytes. */
export function sizeInBytes(value: string | number): number {
  if (typeof value === 'number') return value
  const [, amount, unit] = SIZE_PATTERN.exec(value.trim())!
  return Math.floor(Number(amount) * SIZE_UNITS[(unit || 'b').toLowerCase()])
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 }

/** A duration as text: whole seconds, minutes or hours. */
export const DURATION_PATTERN = /^(\d+)\s*([smh])$/i

/** Whole seconds in a duration that matches {@link DURATION_PATTERN}; a plain number is seconds. */
export function durationInSeconds(value: string | number): number {
  if (typeof value === 'number') return value
  const [, amount, unit] = DURATION_PATTERN.exec(value.trim())!
  return Number(amount) * DURATION_UNITS[unit.toLowerCase()]
}
