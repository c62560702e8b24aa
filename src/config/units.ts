/** Sizes in config values: `256MB`, `1.5GB`, `64KiB` or a plain number. */
import { configError } from '../errors.ts'

const units: Record<string, number> = {
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

/**
 * Parses a size in bytes. KB, MB, GB and TB are powers of 1024, as storage tools commonly use
 * them; a plain number is bytes.
 */
export function parseSize(value: string | number, where: string): number {
  if (typeof value === 'number') return value
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim())
  const unit = units[(m?.[2] || 'b').toLowerCase()]
  if (!m || unit === undefined) throw configError(`${where}: "${value}" is not a size such as 256MB`)
  return Math.floor(Number(m[1]) * unit)
}
