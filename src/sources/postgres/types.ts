/**
 * PostgreSQL types -> output types. Input is what the catalog says of a result column: its
 * base type oid (domains resolved), `format_type()` text with the type modifier, and category.
 */
import type { DescribedColumn, OutputType } from '../../types/output.ts'

/** A result column as the catalog describes it. */
export interface PgColumnInfo {
  name: string
  /** Base type oid (a domain's underlying type). */
  oid: number
  /** `format_type(oid, typmod)`, e.g. `numeric(12,2)` or `timestamp with time zone`. */
  formatted: string
  /** pg_type.typcategory: `A` array, `E` enum, `S` string, `I` network, ... */
  category: string
  /** Element oid for arrays. */
  elementOid?: number
  elementCategory?: string
  nullable: boolean
}

/** Oids rivet reads with special text handling (see source.ts). */
export const PG_OID = {
  bytea: 17,
  money: 790,
} as const

const byOid: Record<number, OutputType> = {
  16: { kind: 'bool' },
  21: { kind: 'int', bits: 16, signed: true },
  23: { kind: 'int', bits: 32, signed: true },
  20: { kind: 'int', bits: 64, signed: true },
  26: { kind: 'int', bits: 64, signed: true },
  700: { kind: 'float', bits: 32 },
  701: { kind: 'float', bits: 64 },
  790: { kind: 'decimal', precision: 19, scale: 2 },
  25: { kind: 'string' },
  1043: { kind: 'string' },
  1042: { kind: 'string' },
  19: { kind: 'string' },
  18: { kind: 'string' },
  142: { kind: 'string' },
  829: { kind: 'string' },
  774: { kind: 'string' },
  1560: { kind: 'string' },
  1562: { kind: 'string' },
  17: { kind: 'bytes' },
  2950: { kind: 'uuid' },
  114: { kind: 'json' },
  3802: { kind: 'json' },
  1082: { kind: 'date' },
  1083: { kind: 'time' },
  1114: { kind: 'timestamp', utc: false },
  1184: { kind: 'timestamp', utc: true },
  1186: { kind: 'interval' },
}

const castHints: Record<number, string> = {
  1266: 'cast it in a query: {col}::time{array} (drops the offset) or {col}::text',
}

type Mapped = { type: OutputType } | { hint: string; override: string }

/** A column name as a YAML key, quoted unless it is a plain identifier. */
function yamlKey(column: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(column) ? column : JSON.stringify(column)
}

/** A column name as a SQL identifier, quoted unless PostgreSQL would read it back unchanged. */
function sqlIdent(column: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(column) ? column : `"${column.replaceAll('"', '""')}"`
}

/**
 * Maps a scalar type, or an array's element type when `array` is set: the hints then name the
 * override and cast for the whole array column (`list<...>`, `::type[]`).
 */
function mapScalar(oid: number, formatted: string, category: string, column: string, array: boolean): Mapped {
  if (oid === 1700) {
    const m = /^numeric\((\d+),(\d+)\)/.exec(formatted)
    if (m) return { type: { kind: 'decimal', precision: Number(m[1]), scale: Number(m[2]) } }
    const override = array ? 'list<decimal(38,9)>' : 'decimal(38,9)'
    return {
      hint:
        `numeric without precision: add an override, e.g. columns: { ${yamlKey(column)}: "${override}" } ` +
        `(or "string" to keep the text)`,
      override,
    }
  }
  const type = byOid[oid]
  if (type) return { type }
  // Enums, citext and other string-like and network types read back as their exact text.
  if (category === 'E' || category === 'S' || category === 'I') return { type: { kind: 'string' } }
  const hint = castHints[oid] ?? 'cast it in a query, e.g. {col}::text, or add a columns: override'
  return {
    hint: hint.replaceAll('{col}', sqlIdent(column)).replaceAll('{array}', array ? '[]' : ''),
    // Every value is read as text, so keeping that text is always exact.
    override: array ? 'list<string>' : 'string',
  }
}

/** Maps one PostgreSQL column to its output type, or says why it can't be mapped exactly. */
export function describePgColumn(info: PgColumnInfo): DescribedColumn {
  const base = { name: info.name, sourceType: info.formatted, nullable: info.nullable }
  let mapped: Mapped
  if (info.category === 'A' && info.elementOid !== undefined) {
    const element = mapScalar(
      info.elementOid,
      info.formatted.replace(/\[\]$/, ''),
      info.elementCategory ?? '',
      info.name,
      true,
    )
    mapped = 'type' in element ? { type: { kind: 'list', element: element.type } } : element
  } else {
    mapped = mapScalar(info.oid, info.formatted, info.category, info.name, false)
  }
  if ('type' in mapped) return { ...base, type: mapped.type, fidelity: 'exact' }
  return { ...base, fidelity: 'unsupported', hint: mapped.hint, suggestedOverride: mapped.override }
}
