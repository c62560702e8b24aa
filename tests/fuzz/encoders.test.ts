/**
 * The Parquet and CSV encoders fed generated columns of most output types (nulls, extremes of
 * every integer width, NaN, infinities and -0, unicode with commas, quotes and line breaks,
 * empty strings and bytes, dates and timestamps from year 1 to 9999, wide decimals, lists with
 * nulls), in batches of random sizes. Parquet is read back by DuckDB (exact text of every value)
 * and hyparquet (floats, bit for bit); CSV by DuckDB, whose fields must be the text rivet meant.
 * Seeded (RIVET_FUZZ_SEED replays a failure, whose seed and case the message prints), bounded
 * (RIVET_FUZZ_CASES, default 6, of 300 rows each).
 */
import { expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { csvFormat } from '../../src/formats/csv.ts'
import type { Format } from '../../src/formats/format.ts'
import { parquetFormat } from '../../src/formats/parquet.ts'
import { textFormatter } from '../../src/formats/text.ts'
import type { Column, OutputType } from '../../src/types/output.ts'
import type { Value } from '../../src/types/values.ts'
import { tempDir } from '../helpers/files.ts'
import { decimalText, duck, readWithHyparquet } from '../helpers/parquet.ts'
import { type Random, seeded } from '../helpers/seeded.ts'

const SEED = Number(process.env.RIVET_FUZZ_SEED ?? 0xc0de)
const CASES = Number(process.env.RIVET_FUZZ_CASES ?? 6)
const ROWS = 300

/** A generated column: its type, a value maker, and how DuckDB shows a value as text. */
interface Kind {
  type: OutputType
  make(r: Random): Value
  /** SQL turning column `c` into comparable text, and the same text from a value. */
  sql: (c: string) => string
  text: (v: Value) => string
}

function int(bits: 8 | 16 | 32 | 64, signed: boolean): Kind {
  const lo = signed ? -(2n ** BigInt(bits - 1)) : 0n
  const hi = signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n
  const asValue = (n: bigint): Value => bits === 64 ? n : Number(n)
  return {
    type: { kind: 'int', bits, signed },
    make: (r) => asValue(r.next() < 0.3 ? r.pick([lo, hi, 0n, lo + 1n, hi - 1n]) : r.big(lo, hi)),
    sql: (c) => `${c}::varchar`,
    text: (v) => String(v),
  }
}

const UNICODE = [
  'a',
  ',',
  '"',
  "'",
  '\n',
  '\r\n',
  '\t',
  ' ',
  '\\',
  'é',
  '日本',
  '🙂',
  '\u200b',
  'ÿ',
  'NULL',
  '',
]

const DAY_MIN = -719162 // 0001-01-01
const DAY_MAX = 2932896 // 9999-12-31
const US_PER_DAY = 86_400_000_000n

const kinds: Kind[] = [
  int(8, true),
  int(16, true),
  int(32, true),
  int(64, true),
  int(8, false),
  int(32, false),
  int(64, false),
  {
    type: { kind: 'bool' },
    make: (r) => r.next() < 0.5,
    sql: (c) => `${c}::varchar`,
    text: (v) => String(v),
  },
  {
    type: { kind: 'string' },
    make: (r) => Array.from({ length: r.int(12) }, () => r.pick(UNICODE)).join(''),
    sql: (c) => c,
    text: (v) => v as string,
  },
  {
    type: { kind: 'bytes' },
    make: (r) => Uint8Array.from({ length: r.int(20) }, () => r.int(256)),
    sql: (c) => `lower(hex(${c}))`,
    text: (v) => Buffer.from(v as Uint8Array).toString('hex'),
  },
  {
    type: { kind: 'date' },
    make: (r) => r.next() < 0.2 ? r.pick([DAY_MIN, DAY_MAX, 0, -1]) : DAY_MIN + r.int(DAY_MAX - DAY_MIN + 1),
    sql: (c) => `(${c} - DATE '1970-01-01')::varchar`,
    text: (v) => String(v),
  },
  {
    type: { kind: 'timestamp', utc: true },
    make: (r) => r.big(BigInt(DAY_MIN) * US_PER_DAY, (BigInt(DAY_MAX) + 1n) * US_PER_DAY - 1n),
    sql: (c) => `epoch_us(${c})::varchar`,
    text: (v) => String(v),
  },
  {
    type: { kind: 'decimal', precision: 18, scale: 4 },
    make: (r) => r.big(-(10n ** 18n) + 1n, 10n ** 18n - 1n),
    sql: (c) => `${c}::varchar`,
    text: (v) => decimalText(v as bigint, 4),
  },
  {
    type: { kind: 'decimal', precision: 38, scale: 9 },
    make: (r) => r.big(-(10n ** 38n) + 1n, 10n ** 38n - 1n),
    sql: (c) => `${c}::varchar`,
    text: (v) => decimalText(v as bigint, 9),
  },
  {
    type: { kind: 'list', element: { kind: 'int', bits: 32, signed: true } },
    make: (r) => Array.from({ length: r.int(4) }, () => r.next() < 0.2 ? null : r.int(2 ** 32) - 2 ** 31),
    sql: (c) => `${c}::varchar`,
    text: (v) => `[${(v as Value[]).map((x) => x === null ? 'NULL' : String(x)).join(', ')}]`,
  },
]

const FLOATS = [
  NaN,
  Infinity,
  -Infinity,
  -0,
  0,
  Number.MIN_VALUE,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  0.1,
  1e-310,
]

function columnsOf(all: Kind[]): Column[] {
  return all.map((k, i) => ({ name: `c${i}`, sourceType: 'generated', type: k.type, nullable: true }))
}

/** The file `format` makes of `values` (one array per column), written in batches of random sizes. */
function encode(r: Random, format: Format, columns: Column[], values: Value[][], path: string): void {
  const encoder = format.create(columns)
  const out: Uint8Array[] = []
  // A copy: the encoder reuses its buffer (a Node Buffer, whose slice() would be a view).
  const keep = (chunks: Uint8Array[]) => chunks.forEach((c) => out.push(new Uint8Array(c)))
  for (let at = 0; at < ROWS;) {
    const length = Math.min(ROWS - at, 1 + r.int(120))
    keep(encoder.write({ length, columns: values.map((v) => v.slice(at, at + length)), bytes: length * 64 }))
    at += length
  }
  keep(encoder.end())
  writeFileSync(path, Buffer.concat(out))
}

test(
  `Parquet and CSV read back by DuckDB and hyparquet as written, ${CASES} cases (seed ${SEED})`,
  async () => {
    const r = seeded(SEED)
    const dir = tempDir()
    const floatKinds = [{ bits: 64 as const }, { bits: 32 as const }]
    const columns = [
      ...columnsOf(kinds),
      ...floatKinds.map((f, i) => ({
        name: `f${i}`,
        sourceType: 'generated',
        type: { kind: 'float', bits: f.bits } as OutputType,
        nullable: true,
      })),
    ]
    for (let n = 0; n < CASES; n++) {
      const where = `seed ${SEED}, case ${n} (RIVET_FUZZ_SEED=${SEED} replays it)`
      const nullShare = r.pick([0, 0.1, 0.5, 1])
      const values: Value[][] = [
        ...kinds.map((k) => Array.from({ length: ROWS }, () => r.next() < nullShare ? null : k.make(r))),
        ...floatKinds.map((f) =>
          Array.from({ length: ROWS }, () => {
            if (r.next() < nullShare) return null
            const x = r.next() < 0.3 ? r.pick(FLOATS) : (r.next() - 0.5) * 10 ** (r.int(80) - 40)
            return f.bits === 32 ? Math.fround(x) : x
          })
        ),
      ]
      const parquet = join(dir, `case${n}.parquet`)
      const csv = join(dir, `case${n}.csv`)
      encode(
        r,
        parquetFormat(r.pick(['zstd', 'snappy', 'gzip', 'none']), { rows: 1 + r.int(200) }),
        columns,
        values,
        parquet,
      )
      encode(r, csvFormat('none'), columns, values, csv)

      const select = kinds.map((k, i) => `${k.sql(`c${i}`)} as c${i}`).join(', ')
      const fromParquet = await duck(`select ${select} from read_parquet('${parquet}')`)
      // No sniffing: random text can look like any dialect.
      const varchars = columns.map((c) => `'${c.name}': 'VARCHAR'`).join(', ')
      const fromCsv = await duck(
        `select * from read_csv('${csv}', auto_detect = false, columns = {${varchars}}, header = true, ` +
          `allow_quoted_nulls = false, delim = ',', quote = '"', escape = '"')`,
      )
      const { rows: hyparquet } = await readWithHyparquet(parquet)
      expect({ where, parquetRows: fromParquet.length, csvRows: fromCsv.length }).toEqual({
        where,
        parquetRows: ROWS,
        csvRows: ROWS,
      })
      for (let row = 0; row < ROWS; row++) {
        kinds.forEach((k, i) => {
          const v = values[i][row]
          const expected = v === null ? null : k.text(v)
          const csvExpected = v === null ? null : textFormatter(k.type)(v)
          const got = {
            where,
            row,
            column: i,
            parquet: fromParquet[row][`c${i}`],
            csv: fromCsv[row][`c${i}`],
          }
          expect(got).toEqual({ where, row, column: i, parquet: expected, csv: csvExpected })
        })
        floatKinds.forEach((_, f) => {
          const v = values[kinds.length + f][row]
          const got = hyparquet[row][`f${f}`]
          if (v === null || !Object.is(got, v)) {
            expect({ where, row, float: f, value: got }).toEqual({ where, row, float: f, value: v })
          }
          const csvExpected = v === null ? null : textFormatter(columns[kinds.length + f].type)(v)
          if (fromCsv[row][`f${f}`] !== csvExpected) {
            expect({ where, row, float: f, csv: fromCsv[row][`f${f}`] }).toEqual({
              where,
              row,
              float: f,
              csv: csvExpected,
            })
          }
        })
      }
    }
  },
  60_000,
)
