/**
 * Benchmark: database -> Parquet/CSV with rivet, next to the database's own client dumping the
 * same rows to /dev/null, measured in the same run (see docs/benchmarks.md).
 *
 *   npx bun scripts/bench/export.ts [--engine postgres|mariadb] [--dataset narrow|wide_text]
 *     [--rows N] [--runs K] [--cases LIST] [--baseline PATH] [--cdc]
 *
 * Cases are `runtime:format[:destination]`, comma-separated: runtime `binary` (dist/rivet; build
 * it first with `npx bun scripts/build.ts`), `bun` (`bun mod.ts`), `deno` (`deno run mod.ts`) or
 * `baseline` (the binary at --baseline, e.g. one built from an older commit); format `zstd`,
 * `snappy` (Parquet) or `csv`; destination `local` (default) or `minio` (127.0.0.1:9000, from
 * scripts/services.sh). The reference is `psql \copy (select ...) to /dev/null csv`,
 * `mariadb --quick -e "select ..." > /dev/null` or, for sqlserver (Babelfish from
 * scripts/services.sh), FreeTDS's `freebcp "select ..." queryout /dev/null -c` (Debian freetds-bin).
 *
 * Each case runs K times (default 2) and the fastest run is reported: wall time, CPU time
 * (user+sys, steadier than wall on a busy machine), rows/s, output MB and MB/s, peak RSS (the
 * highest of the runs, from /usr/bin/time) and the ratio of wall time to the reference's.
 *
 * `--cdc` (PostgreSQL): every case reads a copy of the dataset with a primary key (what `mode: cdc`
 * needs), and two cases follow with the first case's runtime and format: `cdc snapshot` (a first
 * run: it makes the slot and writes the table as `r` rows) and `cdc updates` (a run that reads one
 * transaction updating every row, made before it and not timed: its rows/s are changes/s). The
 * slot and publication are dropped at the end.
 */
import { spawnSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { AwsClient } from 'aws4fetch'
import { client, type Dataset, type Engine, ensureDataset, FREETDS_ENV, MSSQL } from './datasets.ts'

const { values: args } = parseArgs({
  options: {
    engine: { type: 'string', default: 'postgres' },
    dataset: { type: 'string', default: 'narrow' },
    rows: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '2' },
    cases: {
      type: 'string',
      default: 'binary:zstd,binary:snappy,binary:csv,binary:zstd:minio,bun:zstd,deno:zstd',
    },
    baseline: { type: 'string' },
    cdc: { type: 'boolean', default: false },
  },
})
const engine = args.engine as Engine
const dataset = args.dataset as Dataset
const rows = Number(args.rows)
const runs = Number(args.runs)
const root = new URL('../..', import.meta.url).pathname
const work = mkdtempSync(join(tmpdir(), 'rivet-bench-'))
const MINIO = { endpoint: 'http://127.0.0.1:9000', key: 'rivet-root', secret: 'rivet-root-secret-123' }
const BUCKET = 'rivet-bench'

interface Sample {
  wall: number
  cpu: number
  rssKb: number
  bytes: number
}

/** Runs a command under /usr/bin/time: wall seconds, CPU seconds and the child's peak RSS. */
function measure(cmd: string[], env?: Record<string, string>, stdout?: string): Sample {
  const timeFile = join(work, 'time.txt')
  const shell = stdout ? ['sh', '-c', `exec "$@" > ${stdout}`, 'sh'] : []
  const start = performance.now()
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', '-o', timeFile, ...shell, ...cmd], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  })
  const wall = (performance.now() - start) / 1000
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed (${r.status}):\n${r.stdout}${r.stderr}`)
  const [rssKb, user, sys] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number)
  return { wall, cpu: user + sys, rssKb, bytes: 0 }
}

/** Bytes of the data files under a directory (manifests under _rivet/ not counted). */
function localBytes(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name)
    if (entry.isFile() && !path.includes('/_rivet/')) total += statSync(path).size
  }
  return total
}

const s3 = new AwsClient({
  accessKeyId: MINIO.key,
  secretAccessKey: MINIO.secret,
  service: 's3',
  region: 'us-east-1',
})

/**
 * Bytes of the data objects under a prefix in the bench bucket. The objects are deleted once
 * counted: a gigabyte per CSV run would fill MinIO's disk over a few sittings.
 */
async function minioBytes(prefix: string): Promise<number> {
  const res = await s3.fetch(`${MINIO.endpoint}/${BUCKET}?list-type=2&prefix=${encodeURIComponent(prefix)}`)
  const xml = await res.text()
  let total = 0
  for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>.*?<Size>(\d+)<\/Size>/gs)) {
    if (!m[1].includes('/_rivet/')) total += Number(m[2])
    const key = m[1].split('/').map(encodeURIComponent).join('/')
    await (await s3.fetch(`${MINIO.endpoint}/${BUCKET}/${key}`, { method: 'DELETE' })).text()
  }
  return total
}

function rivetCommand(runtime: string): string[] {
  const bin = join(root, 'node_modules/.bin')
  if (runtime === 'binary') {
    const binary = join(root, 'dist/rivet')
    if (!existsSync(binary)) throw new Error('dist/rivet is missing: npx bun scripts/build.ts')
    return [binary]
  }
  if (runtime === 'baseline') {
    if (!args.baseline) throw new Error('baseline cases need --baseline PATH')
    return [args.baseline]
  }
  if (runtime === 'bun') return [join(bin, 'bun'), join(root, 'mod.ts')]
  if (runtime === 'deno') return [join(bin, 'deno'), 'run', '-A', '--quiet', join(root, 'mod.ts')]
  throw new Error(`unknown runtime ${runtime}`)
}

const SOURCES: Record<Engine, string> = {
  postgres: 'postgres://postgres@127.0.0.1:5432/test',
  mariadb: 'mysql://root@127.0.0.1:3306/test',
  sqlserver: `sqlserver://${MSSQL.user}@${MSSQL.host}/${MSSQL.database}`,
}
const SOURCE_TYPES: Record<Engine, string> = {
  postgres: 'postgres',
  mariadb: 'mysql',
  sqlserver: 'sqlserver',
}
const MSSQL_PASSWORD_ENV = 'RIVET_BENCH_MSSQL_PASSWORD'

function rivetCase(spec: string, table: string): () => Promise<Sample> {
  const [runtime, format, destination = 'local'] = spec.split(':')
  const id = spec.replaceAll(':', '-')
  const out = join(work, `out-${id}`)
  const formatYaml = format === 'csv' ? 'format: csv' : `format: parquet, compression: ${format}`
  const cmd = [...rivetCommand(runtime), 'run', '-c', join(work, `${id}.yaml`)]
  const env = { RIVET_S3_KEY: MINIO.key, RIVET_S3_SECRET: MINIO.secret, [MSSQL_PASSWORD_ENV]: MSSQL.password }
  const password = engine === 'sqlserver' ? `, password_env: ${MSSQL_PASSWORD_ENV}` : ''
  let run = 0
  return async () => {
    // Each run writes under its own prefix, so the bytes counted are that run's.
    const prefix = `${id}-${Date.now()}-${run++}`
    const dest = destination === 'minio'
      ? `{ type: s3, bucket: ${BUCKET}, endpoint: "${MINIO.endpoint}", prefix: ${prefix}, ` +
        `access_key_env: RIVET_S3_KEY, secret_key_env: RIVET_S3_SECRET }`
      : `{ type: local, path: ${JSON.stringify(out)} }`
    writeFileSync(
      cmd[cmd.length - 1],
      `source: { type: ${SOURCE_TYPES[engine]}, url: "${SOURCES[engine]}"${password} }
destination: ${dest}
exports:
  - { name: bench, table: ${table}, ${formatYaml} }
`,
    )
    rmSync(out, { recursive: true, force: true })
    const sample = measure(cmd, env)
    return { ...sample, bytes: destination === 'minio' ? await minioBytes(`${prefix}/`) : localBytes(out) }
  }
}

function referenceCase(table: string): [string, () => Promise<Sample>] {
  if (engine === 'sqlserver') {
    const { host, user, password, database } = MSSQL
    return [
      'freebcp queryout -c > /dev/null',
      () =>
        Promise.resolve(
          measure(
            [
              'freebcp',
              `select * from ${database}.dbo.${table}`,
              'queryout',
              '/dev/null',
              '-c',
              '-S',
              host,
              '-U',
              user,
              '-P',
              password,
            ],
            FREETDS_ENV,
          ),
        ),
    ]
  }
  if (engine === 'postgres') {
    return [
      'psql \\copy csv > /dev/null',
      () =>
        Promise.resolve(
          measure([...client(engine), '-c', `\\copy (select * from ${table}) to '/dev/null' csv`]),
        ),
    ]
  }
  return [
    'mariadb --quick > /dev/null',
    () =>
      Promise.resolve(
        measure([...client(engine), '--quick', '-e', `select * from ${table}`], {}, '/dev/null'),
      ),
  ]
}

/** Runs SQL with the engine's client. */
function sql(statement: string): void {
  const [cmd, ...rest] = client(engine)
  const r = spawnSync(cmd, [...rest, '-c', statement], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`)
}

const CDC_SLOT = 'rivet_bench_cdc'

/** Drops the slot and publication of the cdc cases: a slot left behind keeps WAL on the server. */
function dropCdcSlot(): void {
  sql(
    `select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = '${CDC_SLOT}'; ` +
      `drop publication if exists ${CDC_SLOT}`,
  )
}

/** The `cdc snapshot` and `cdc updates` cases of `spec`'s runtime and format on `table`. */
function cdcCases(spec: string, table: string): [string, () => Promise<Sample>][] {
  const [runtime, format] = spec.split(':')
  const dir = join(work, 'cdc')
  const out = join(dir, 'out')
  const config = join(dir, 'rivet.yaml')
  const formatYaml = format === 'csv' ? 'format: csv' : `format: parquet, compression: ${format}`
  const cmd = [...rivetCommand(runtime), 'run', '-c', config]
  const name = `${runtime} ${CASE_NAMES[format] ?? format}`
  /** One timed run; output MB are the bytes of the parts it added. */
  const timed = () => {
    const before = existsSync(out) ? localBytes(out) : 0
    const sample = measure(cmd)
    return Promise.resolve({ ...sample, bytes: localBytes(out) - before })
  }
  return [
    [`${name} cdc snapshot`, () => {
      // A first run each time: no slot, no state, no parts.
      dropCdcSlot()
      rmSync(dir, { recursive: true, force: true })
      mkdirSync(dir, { recursive: true })
      writeFileSync(
        config,
        `source: { type: postgres, url: "${SOURCES.postgres}" }
destination: { type: local, path: ${JSON.stringify(out)} }
exports:
  - { name: bench, table: ${table}, mode: cdc, slot: ${CDC_SLOT}, ${formatYaml} }
`,
      )
      return timed()
    }],
    [`${name} cdc updates`, () => {
      sql(`update ${table} set n = n + 1`)
      return timed()
    }],
  ]
}

const CASE_NAMES: Record<string, string> = { zstd: 'parquet zstd', snappy: 'parquet snappy', csv: 'csv' }

try {
  const dataTable = ensureDataset(engine, dataset, rows)
  if (args.cdc && engine !== 'postgres') throw new Error('--cdc reads PostgreSQL only')
  const table = args.cdc ? `${dataTable}_cdc` : dataTable
  if (args.cdc) {
    sql(
      `drop table if exists ${table}; create table ${table} as select * from ${dataTable}; ` +
        `alter table ${table} add primary key (id)`,
    )
  }
  const specs = args.cases.split(',').filter(Boolean)
  if (args.baseline) specs.push('baseline:zstd', 'baseline:csv')
  if (specs.some((s) => s.endsWith(':minio'))) {
    await s3.fetch(`${MINIO.endpoint}/${BUCKET}`, { method: 'PUT' })
  }
  const cases: [string, () => Promise<Sample>][] = [
    referenceCase(table),
    ...specs.map((spec): [string, () => Promise<Sample>] => {
      const [runtime, format, destination = 'local'] = spec.split(':')
      return [
        `${runtime} ${CASE_NAMES[format] ?? format}${destination === 'local' ? '' : ` -> ${destination}`}`,
        rivetCase(spec, table),
      ]
    }),
    ...(args.cdc ? cdcCases(specs[0], table) : []),
  ]
  const load = () => loadavg().map((l) => l.toFixed(1)).join(' ')
  console.log(`${engine} ${table}: ${rows} rows, ${runs} run(s) per case, best wall reported`)
  console.log(`load average before: ${load()}\n`)
  const results: [string, Sample[]][] = []
  for (const [name, run] of cases) {
    const samples: Sample[] = []
    for (let i = 0; i < runs; i++) samples.push(await run())
    results.push([name, samples])
  }
  const fastest = (samples: readonly Sample[]) => samples.reduce((a, b) => b.wall < a.wall ? b : a)
  const reference = fastest(results[0][1]).wall
  const MB = 1024 * 1024
  const f = (n: number, digits = 1) => n.toFixed(digits)
  console.log('| case | wall s | all runs s | CPU s | rows/s | output MB | MB/s | peak RSS MB | x ref |')
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
  if (args.cdc) dropCdcSlot()
  rmSync(work, { recursive: true, force: true })
}
