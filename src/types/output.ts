/**
 * Output types: what a column becomes in Parquet and CSV, independent of the source engine.
 * Sources map their native types to these; formats encode them; `columns:` overrides in the
 * config are parsed into them.
 */
import { configError } from '../errors.ts'

/** The type of an output column. */
export type OutputType =
  | { kind: 'int'; bits: 8 | 16 | 32 | 64; signed: boolean }
  | { kind: 'decimal'; precision: number; scale: number }
  | { kind: 'float'; bits: 32 | 64 }
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'bytes' }
  | { kind: 'uuid' }
  | { kind: 'json' }
  | { kind: 'date' }
  | { kind: 'time' }
  | { kind: 'timestamp'; utc: boolean }
  | { kind: 'interval' }
  | { kind: 'list'; element: OutputType }

/** How faithfully a source type maps to its output type. */
export type Fidelity = 'exact' | 'lossy' | 'unsupported'

/** A column as it will be written: its name, where it came from, and what it becomes. */
export interface Column {
  name: string
  /** The source's own name for the type, e.g. `numeric(12,2)`. */
  sourceType: string
  type: OutputType
  nullable: boolean
  /** MySQL zero dates (`0000-00-00`) become NULL instead of failing the run. */
  zeroDatesAsNull?: boolean
}

/** A source column before the plan is checked: the type may be missing (unsupported). */
export interface DescribedColumn {
  name: string
  sourceType: string
  nullable: boolean
  /** Undefined when the source type cannot be mapped exactly. */
  type?: OutputType
  fidelity: Fidelity
  /** What to do about an unsupported or lossy type: an override or a cast. */
  hint?: string
  /** The `columns:` override that makes an unsupported column exportable, when one does. */
  suggestedOverride?: string
}

/** The canonical text of a type, as used in `columns:` overrides and manifests. */
export function typeName(type: OutputType): string {
  switch (type.kind) {
    case 'int':
      return `${type.signed ? 'int' : 'uint'}${type.bits}`
    case 'decimal':
      return `decimal(${type.precision},${type.scale})`
    case 'float':
      return type.bits === 32 ? 'float32' : 'float64'
    case 'timestamp':
      return type.utc ? 'timestamptz' : 'timestamp'
    case 'list':
      return `list<${typeName(type.element)}>`
    default:
      return type.kind
  }
}

const simple: Record<string, OutputType> = {
  int8: { kind: 'int', bits: 8, signed: true },
  int16: { kind: 'int', bits: 16, signed: true },
  int32: { kind: 'int', bits: 32, signed: true },
  int64: { kind: 'int', bits: 64, signed: true },
  uint8: { kind: 'int', bits: 8, signed: false },
  uint16: { kind: 'int', bits: 16, signed: false },
  uint32: { kind: 'int', bits: 32, signed: false },
  uint64: { kind: 'int', bits: 64, signed: false },
  float32: { kind: 'float', bits: 32 },
  float64: { kind: 'float', bits: 64 },
  bool: { kind: 'bool' },
  string: { kind: 'string' },
  bytes: { kind: 'bytes' },
  uuid: { kind: 'uuid' },
  json: { kind: 'json' },
  date: { kind: 'date' },
  time: { kind: 'time' },
  timestamp: { kind: 'timestamp', utc: false },
  timestamptz: { kind: 'timestamp', utc: true },
  interval: { kind: 'interval' },
}

/** Type names accepted in `columns:` overrides (besides `decimal(p,s)` and `list<T>`). */
export const OVERRIDE_TYPE_NAMES = Object.keys(simple)

/** The largest decimal precision rivet writes (Parquet allows more; readers mostly stop at 38). */
export const MAX_DECIMAL_PRECISION = 76

/** Parses a `columns:` override such as `decimal(38,9)`, `string` or `list<int32>`. */
export function parseTypeName(text: string, where: string): OutputType {
  const t = text.trim().toLowerCase()
  const found = simple[t]
  if (found) return found
  const dec = /^(?:decimal|numeric)\((\d+),\s*(\d+)\)$/.exec(t)
  if (dec) {
    const precision = Number(dec[1])
    const scale = Number(dec[2])
    if (precision < 1 || precision > MAX_DECIMAL_PRECISION || scale > precision) {
      throw configError(
        `${where}: decimal(${precision},${scale}) is out of range: precision 1..${MAX_DECIMAL_PRECISION}, scale 0..precision`,
      )
    }
    return { kind: 'decimal', precision, scale }
  }
  const list = /^list<(.+)>$/.exec(t)
  if (list) return { kind: 'list', element: parseTypeName(list[1], where) }
  throw configError(
    `${where}: unknown type "${text}"; use one of ${OVERRIDE_TYPE_NAMES.join(', ')}, decimal(p,s) or list<T>`,
  )
}
