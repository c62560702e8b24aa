/**
 * Benchmark: PostgreSQL -> local Parquet (zstd) and CSV, next to `psql \copy ... to /dev/null`.
 *
 *   npx bun scripts/bench/postgres-parquet.ts [--rows N] [--runs K] [--source]
 *
 * Needs PostgreSQL on 127.0.0.1:5432 (user postgres, database test, trust auth) and `psql`.
 * Creates `bench_narrow_<N>` (default N = 5,000,000) with generate_series if it is missing or
 * has another row count: 8 columns (bigint, int, double, numeric(12,2), ~20-char text, boolean,
 * timestamptz, date). Each case runs K times (default 2; the best run is reported) and the
 * table prints wall time, CPU time (user+sys, steadier than wall on a busy machine), rows/s,
 * output MB/s, peak RSS (the highest of the runs) and the ratio of wall time to psql's. rivet runs as dist/rivet when it exists (build it with
 * `npx bun scripts/build.ts`; a stale binary measures old code), else as `bun mod.ts`;
 * `--source` forces `bun mod.ts`. Peak RSS is the child's max resident set from /usr/bin/time.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '5000000' },
    runs: { type: 'string', default: '2' },
    source: { type: 'boolean' },
  },
})
const rows = Number(args.rows)
const runs = Number(args.runs)
const table = `bench_narrow_${rows}`
const PSQL = ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', '127.0.0.1', '-U', 'postgres', '-d', 'test']
const root = new URL('../..', import.meta.url).pathname

function psql(sql: string): string {
  const r = spawnSync(PSQL[0], [...PSQL.slice(1), '-Atc', sql], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`)
  return r.stdout.trim()
}

function ensureTable(): void {
  const exists = psql(`select to_regclass('public.${table}') is not null`) === 't'
  if (exists && Number(psql(`select count(*) from ${table}`)) === rows) return
  console.log(`creating ${table} ...`)
  psql(`drop table if exists ${table};
    create table ${table} as
    select i::bigint as id, (i % 100000)::int as n, i * 0.37::double precision as x,
           ((i % 10000000) / 100.0)::numeric(12,2) as amount,
           'label-' || substr(md5(i::text), 1, 14) as label, i % 3 = 0 as flag,
           timestamptz '2020-01-01 00:00:00+00' + i * interval '1 second' + (i % 1000000) * interval '1 microsecond' as created_at,
           date '2000-01-01' + (i % 10000)::int as day
      from generate_series(1, ${rows}) as i;
    analyze ${table};`)
}

interface Sample {
  wall: number
  cpu: number
  rssKb: number
  bytes: number
}

/** Runs a command under /usr/bin/time: wall seconds, CPU seconds and the child's peak RSS. */
function measure(cmd: string[]): Sample {
  const timeFile = join(work, 'time.txt')
  const start = performance.now()
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', '-o', timeFile, ...cmd], { encoding: 'utf8' })
  const wall = (performance.now() - start) / 1000
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`)
  const [rssKb, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number)
  return { wall, cpu: user + sys, rssKb, bytes: 0 }
}

/** Bytes of the data files under a directory (manifests under _rivet/ not counted). */
function dataBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name)
    if (entry.isFile() && !path.includes('/_rivet/')) total += statSync(path).size
  }
  return total
}

const work = mkdtempSync(join(tmpdir(), 'rivet-bench-'))
const binary = join(root, 'dist/rivet')
const rivet = !args.source && existsSync(binary) ? [binary] : [process.execPath, join(root, 'mod.ts')]

function rivetCase(format: 'parquet' | 'csv'): () => Sample {
  const config = join(work, `${format}.yaml`)
  const out = join(work, `out-${format}`)
  writeFileSync(
    config,
    `source: { type: postgres, url: "postgres://postgres@127.0.0.1:5432/test" }
destination: { type: local, path: ${JSON.stringify(out)} }
exports:
  - { name: bench, table: ${table}, format: ${format}${format === 'parquet' ? ', compression: zstd' : ''} }
`,
  )
  return () => {
    rmSync(out, { recursive: true, force: true })
    const sample = measure([...rivet, 'run', '-c', config])
    return { ...sample, bytes: dataBytes(out) }
  }
}

const cases: [string, () => Sample][] = [
  [
    'psql \\copy csv > /dev/null',
    () => measure([...PSQL, '-c', `\\copy (select * from ${table}) to '/dev/null' csv`]),
  ],
  ['rivet parquet zstd', rivetCase('parquet')],
  ['rivet csv', rivetCase('csv')],
]

try {
  ensureTable()
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ')
  console.log(`${rows} rows, ${runs} run(s) per case, best wall reported; rivet = ${rivet.join(' ')}`)
  console.log(`load average before: ${load()}\n`)
  const results = cases.map(([name, run]) => [name, Array.from({ length: runs }, run)] as const)
  const fastest = (samples: readonly Sample[]) => samples.reduce((a, b) => b.wall < a.wall ? b : a)
  const reference = fastest(results[0][1]).wall
  const MB = 1024 * 1024
  const f = (n: number, digits = 1) => n.toFixed(digits)
  console.log('| case | wall s | all runs s | CPU s | rows/s | output MB | MB/s | peak RSS MB | x psql |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const [name, samples] of results) {
    const s = fastest(samples)
    const rss = Math.max(...samples.map((x) => x.rssKb)) / 1024
    const out = s.bytes ? [f(s.bytes / MB), f(s.bytes / MB / s.wall)] : ['-', '-']
    const cells = [
      name,
      f(s.wall, 2),
      samples.map((x) => f(x.wall, 2)).join(' / '),
      f(s.cpu),
      Math.round(rows / s.wall).toLocaleString('en-US'),
    ]
    console.log(`| ${[...cells, ...out, f(rss, 0), f(s.wall / reference, 2)].join(' | ')} |`)
  }
  console.log(`\nload average after: ${load()}`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
