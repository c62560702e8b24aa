/**
 * Planning a chunked export: ranges of `chunk_size` values of an integer or date column. One
 * grouping query finds which ranges hold rows, so a sparse column (ids from 1 to 10^12 with
 * gaps) yields only the chunks that have data instead of millions of empty range queries.
 */
import type { Source } from '../sources/source.ts'
import type { Column } from '../types/output.ts'
import { formatDate, parseDate } from '../types/temporal.ts'

/** One chunk: a range of the chunk column, or its NULLs. */
export interface Chunk {
  from?: string
  below?: string
  nulls?: boolean
}

/** Plans the chunks of `query` along `column`, in order; NULLs come last, in a chunk of their own. */
export async function planChunks(
  source: Source,
  query: string,
  column: Column,
  size: number,
): Promise<Chunk[]> {
  const c = `rivet_q.${source.dialect.quote(column.name)}`
  const from = `from (${query}) as rivet_q`
  let chunks: Chunk[]
  if (column.type.kind === 'int') {
    const [[min]] = await source.queryText(`select min(${c}) ${from}`, [])
    if (min === null) {
      chunks = []
    } else {
      const low = BigInt(min)
      const step = BigInt(size)
      // Offsets from the minimum are never negative, so every engine's integer division floors.
      const bucket = source.dialect.intDiv(`${c} - ${low}`, String(step))
      const rows = await source.queryText(
        `select ${bucket} as k ${from} where ${c} is not null group by ${bucket} order by 1`,
        [],
      )
      chunks = rows.map(([k]) => {
        const start = low + BigInt(k!) * step
        return { from: String(start), below: String(start + step) }
      })
    }
  } else {
    // A date column: the plan allows no other kind.
    const rows = await source.queryText(
      `select ${c} ${from} where ${c} is not null group by ${c} order by 1`,
      [],
    )
    chunks = []
    let end: number | undefined
    for (const [text] of rows) {
      // Some drivers hand a date back with a midnight time.
      const day = parseDate(text!.slice(0, 10))
      if (end !== undefined && day < end) continue
      end = day + size
      chunks.push({ from: formatDate(day), below: formatDate(end) })
    }
  }
  // The last range stays open above: its bound could be past the type's largest value (a BIGINT
  // UNSIGNED id of 2^64-1), which the engine could not even read as a parameter.
  if (chunks.length) delete chunks[chunks.length - 1].below
  const [[nulls]] = await source.queryText(`select count(*) ${from} where ${c} is null`, [])
  if (Number(nulls) > 0) chunks.push({ nulls: true })
  return chunks
}
