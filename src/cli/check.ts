/** `rivet check`: connect, describe each export's columns and output types, estimate rows. Writes nothing. */
import { checkColumnKeys, columnOverride, exportQuery, planColumns } from '../pipeline/plan.ts'
import { typeName } from '../types/output.ts'
import { VERSION } from '../version.ts'
import { CONFIG_OPTIONS } from './args.ts'
import type { Command } from './command.ts'
import { loadFromArgs, selectExports, withSource } from './context.ts'
import { sourceError } from '../errors.ts'
import type { CheckDocument } from './documents.ts'

export const checkCommand: Command = {
  name: 'check',
  summary: 'preflight: connect, describe columns and their output types, estimate rows; writes nothing',
  usage: 'rivet check -c FILE [-e NAME]... [-p key=value]... [--json]',
  options: CONFIG_OPTIONS,
  async run({ values }) {
    const loaded = await loadFromArgs('check', values)
    const exports = selectExports(loaded, values)
    const reports = await withSource(loaded, async (source) => {
      const out = []
      for (const exp of exports) {
        const query = await exportQuery(exp, source, loaded)
        const described = await source.describe(query)
        const columns = described.map((c) => {
          const override = columnOverride(exp, c.name).type
          const type = override ?? c.type
          return {
            name: c.name,
            source_type: c.sourceType,
            output_type: type ? typeName(type) : null,
            fidelity: override ? 'exact' as const : c.fidelity,
            nullable: c.nullable,
            ...(override ? { override: typeName(override) } : {}),
            ...(c.hint && !override ? { hint: c.hint } : {}),
          }
        })
        // Keys naming columns are checked once every column has a type to check them against.
        if (columns.every((c) => c.output_type !== null)) checkColumnKeys(exp, planColumns(exp, described))
        out.push({ name: exp.name, query, estimated_rows: await source.estimateRows(query) ?? null, columns })
      }
      return out
    })
    const text = reports.map((r) => {
      const width = Math.max(...r.columns.map((c) => c.name.length), 4)
      const lines = r.columns.map((c) =>
        `  ${c.name.padEnd(width)}  ${c.source_type.padEnd(28)} -> ${
          (c.output_type ?? '?').padEnd(16)
        } ${c.fidelity}${c.hint ? `  (${c.hint})` : ''}`
      )
      const estimate = r.estimated_rows === null ? 'unknown' : `~${r.estimated_rows.toLocaleString('en-US')}`
      return `${r.name}: ${estimate} rows\n${lines.join('\n')}`
    }).join('\n\n')
    const unsupported = reports.flatMap((r) =>
      r.columns.filter((c) => c.fidelity === 'unsupported').map((c) => ({ r, c }))
    )
    const document: CheckDocument = {
      rivet_version: VERSION,
      status: unsupported.length ? 'failed' : 'succeeded',
      exports: reports,
    }
    if (unsupported.length) {
      const first = unsupported[0]
      const error = sourceError(
        `export ${first.r.name}: ${unsupported.length} column(s) cannot be exported exactly, first "${first.c.name}" (${first.c.source_type}): ${first.c.hint}`,
        'UNSUPPORTED_TYPE',
      )
      error.document = document
      error.report = text
      throw error
    }
    return { document, text }
  },
}
