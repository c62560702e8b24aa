/**
 * Metrics of `rivet run` against a real Prometheus Pushgateway (started by scripts/services.sh
 * on 127.0.0.1:9091): what rivet pushes, and what it writes with `--metrics-file`, is read back
 * through the Pushgateway's JSON API, so Prometheus' own parser checks the exposition. Retries are
 * counted through MinIO behind Toxiproxy.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { startRivet, waitFor } from '../helpers/background.ts'
import { awsEnv, awsHome } from '../helpers/aws.ts'
import { rivet, ROOT } from '../helpers/cli.ts'
import { objectStoreConfig } from '../helpers/cloud-export.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import { PG_URL, pgExec, pgToLocal } from '../helpers/pg.ts'
import { listKeys, MINIO, MINIO_ENV, newBucket } from '../helpers/s3.ts'
import { Proxy } from '../helpers/toxiproxy.ts'

const PUSHGATEWAY = process.env.RIVET_TEST_PUSHGATEWAY ?? 'http://127.0.0.1:9091'

/** One metric of a group as the JSON API gives it. */
interface JsonMetric {
  type: string
  help: string
  metrics: { labels: Record<string, string>; value: string }[]
}
type Group = { labels: Record<string, string> } & Record<string, unknown>

/** The Pushgateway's groups of `job`, by export. */
async function groups(job: string): Promise<Map<string, Group>> {
  const body = await (await fetch(`${PUSHGATEWAY}/api/v1/metrics`)).json() as { data: Group[] }
  return new Map(body.data.filter((g) => g.labels.job === job).map((g) => [g.labels.export, g]))
}

/** Metric `name` of a group: its type, and its value per export label (or '' without one). */
function metric(
  group: Group | undefined,
  name: string,
): { type: string; values: Record<string, number> } | undefined {
  const m = group?.[name] as JsonMetric | undefined
  if (!m) return undefined
  return {
    type: m.type,
    values: Object.fromEntries(m.metrics.map((s) => [s.labels.export ?? '', Number(s.value)])),
  }
}

beforeAll(async () => {
  await pgExec(`drop table if exists rivet_metrics;
    create table rivet_metrics (id int); insert into rivet_metrics select generate_series(1, 30);`)
})

describe('metrics', () => {
  test('pushed per export and written to --metrics-file; a failed run keeps the last success', async () => {
    const dir = tempDir()
    const job = `rivet-test-${Date.now().toString(36)}`
    const file = writeConfig(
      dir,
      `source: { type: postgres, url: "${PG_URL}" }\ndestination: { type: local, path: ${
        join(dir, 'out')
      } }\n` +
        `metrics: { pushgateway: "${PUSHGATEWAY}", job: ${job} }\nexports:\n` +
        '  - { name: a, table: public.rivet_metrics }\n' +
        '  - { name: b, table: public.rivet_metrics, quality: { row_count_max: 1 } }\n',
    )
    const metricsFile = join(dir, 'rivet.prom')
    const before = Date.now() / 1000
    const ok = await rivet(['run', '-c', file, '-e', 'a', '--metrics-file', metricsFile])
    expect(ok.stderr).not.toContain('"level":"warn"')
    expect(ok.code).toBe(0)
    const failed = await rivet(['run', '-c', file, '-e', 'b', '--metrics-file', metricsFile], {
      runtime: 'deno',
    })
    expect(failed.code).toBe(6)
    expect(failed.stderr).not.toContain('metrics:')
    const after = Date.now() / 1000

    const pushed = await groups(job)
    expect([...pushed.keys()].sort()).toEqual(['a', 'b'])
    const a = pushed.get('a')
    expect(metric(a, 'rivet_export_rows_total')).toEqual({ type: 'COUNTER', values: { a: 30 } })
    expect(metric(a, 'rivet_export_parts_total')?.values.a).toBe(1)
    expect(metric(a, 'rivet_export_bytes_total')?.values.a).toBeGreaterThan(100)
    expect(metric(a, 'rivet_export_success')).toEqual({ type: 'GAUGE', values: { a: 1 } })
    expect(metric(a, 'rivet_export_retries_total')?.values.a).toBe(0)
    expect(metric(a, 'rivet_export_credential_refreshes_total')?.values.a).toBe(0)
    const duration = metric(a, 'rivet_export_duration_seconds')!.values.a
    expect(duration).toBeGreaterThan(0)
    expect(duration).toBeLessThan(after - before)
    const success = metric(a, 'rivet_export_last_success_timestamp_seconds')!.values.a
    expect(success).toBeGreaterThan(before)
    expect(success).toBeLessThan(after)
    const b = pushed.get('b')
    expect(metric(b, 'rivet_export_success')?.values.b).toBe(0)
    expect(metric(b, 'rivet_export_rows_total')?.values.b).toBe(0)
    expect(metric(b, 'rivet_export_last_success_timestamp_seconds')).toBeUndefined()

    // The file holds both exports (the second run kept the first's samples), parsed by the Pushgateway.
    expect(readdirSync(dir).filter((n) => n.includes('.prom'))).toEqual(['rivet.prom'])
    expect(statSync(metricsFile).mode & 0o777).toBe(0o644)
    const fileJob = `${job}-file`
    const put = await fetch(`${PUSHGATEWAY}/metrics/job/${fileJob}`, {
      method: 'PUT',
      body: readFileSync(metricsFile),
    })
    expect(put.status).toBe(200)
    const [fromFile] = [...(await groups(fileJob)).values()]
    expect(metric(fromFile, 'rivet_export_rows_total')?.values).toEqual({ a: 30, b: 0 })
    expect(metric(fromFile, 'rivet_export_success')?.values).toEqual({ a: 1, b: 0 })
    expect(metric(fromFile, 'rivet_export_last_success_timestamp_seconds')?.values).toEqual({ a: success })
    expect((fromFile.rivet_export_rows_total as JsonMetric).help).toBe('Rows the last run wrote.')
    await fetch(`${PUSHGATEWAY}/metrics/job/${fileJob}`, { method: 'DELETE' })
    for (const name of ['a', 'b']) {
      await fetch(`${PUSHGATEWAY}/metrics/job/${job}/export/${name}`, { method: 'DELETE' })
    }
  })

  test('retries: a store that stalls for 2.5 s mid-run is retried, and the file counts it', async () => {
    const proxy = await Proxy.create('rivet-metrics-minio', '127.0.0.1:9000')
    try {
      const bucket = await newBucket()
      const dir = tempDir()
      const file = objectStoreConfig(
        dir,
        `  type: s3\n  bucket: ${bucket}\n  endpoint: http://${proxy.address}\n` +
          '  access_key_env: RIVET_S3_KEY\n  secret_key_env: RIVET_S3_SECRET\n',
        '  - name: r\n    query: "select i, repeat(md5(i::text), 8) as pad from generate_series(1, 100000) i"\n' +
          '    format: csv\n    max_file_size: 256KB\n',
      )
      const metricsFile = join(dir, 'rivet.prom')
      const run = startRivet(['run', '-c', file, '--metrics-file', metricsFile], { ...MINIO_ENV })
      await waitFor(async () => (await listKeys(bucket)).some((k) => k.endsWith('.csv')), run, 30_000)
      // Data is swallowed until the toxic goes, which closes the connection: the request is retried.
      await proxy.toxic('timeout', { timeout: 0 }, 'upstream')
      await Bun.sleep(2500)
      await proxy.reset()
      expect((await run.exited).code).toBe(0)
      const job = `rivet-test-retries-${Date.now().toString(36)}`
      expect(
        (await fetch(`${PUSHGATEWAY}/metrics/job/${job}`, { method: 'PUT', body: readFileSync(metricsFile) }))
          .status,
      )
        .toBe(200)
      const [group] = [...(await groups(job)).values()]
      expect(metric(group, 'rivet_export_retries_total')!.values.r).toBeGreaterThanOrEqual(1)
      expect(metric(group, 'rivet_export_success')!.values.r).toBe(1)
      expect(metric(group, 'rivet_export_rows_total')!.values.r).toBe(100000)
      await fetch(`${PUSHGATEWAY}/metrics/job/${job}`, { method: 'DELETE' })
    } finally {
      await proxy.delete()
    }
  }, 60_000)

  test(
    'credential refreshes: credential_process credentials that "expire" every 4 s in a ~6 s run',
    async () => {
      const bucket = await newBucket()
      const dir = tempDir()
      const calls = join(dir, 'credential-process-calls')
      const script = join(ROOT, 'tests', 'helpers', 'sts-credential-process.ts')
      const home = awsHome({
        config: `[profile ci]\ncredential_process = ${process.execPath} ${script} ${calls} 4\n`,
      })
      // The source sleeps 0.2 s every 100 rows: ~6 s in all.
      const file = writeConfig(
        dir,
        `source: { type: postgres, url: "${PG_URL}" }\ndestination:\n  type: s3\n  bucket: ${bucket}\n` +
          `  endpoint: ${MINIO.endpoint}\n  aws_profile: ci\nexports:\n  - name: slow\n    format: csv\n` +
          '    query: "select i from generate_series(1, 3000) i, ' +
          'lateral (select pg_sleep(case when i % 100 = 0 then 0.2 else 0 end)) s"\n',
      )
      const metricsFile = join(dir, 'rivet.prom')
      const result = await rivet(['run', '-c', file, '--metrics-file', metricsFile], {
        env: awsEnv({ HOME: home }),
      })
      expect(result.code).toBe(0)
      const fetched = readFileSync(calls, 'utf8').trim().split('\n').length
      expect(fetched).toBeGreaterThanOrEqual(2)
      const job = `rivet-test-refreshes-${Date.now().toString(36)}`
      await fetch(`${PUSHGATEWAY}/metrics/job/${job}`, { method: 'PUT', body: readFileSync(metricsFile) })
      const [group] = [...(await groups(job)).values()]
      // Every fetch after the first is a refresh.
      expect(metric(group, 'rivet_export_credential_refreshes_total')!.values.slow).toBe(fetched - 1)
      await fetch(`${PUSHGATEWAY}/metrics/job/${job}`, { method: 'DELETE' })
    },
    60_000,
  )

  test('a Pushgateway that does not answer is logged and leaves the exit code alone (binary)', async () => {
    const { file } = pgToLocal(
      'metrics: { pushgateway: "http://127.0.0.1:1" }\nexports:\n  - { name: a, table: public.rivet_metrics }\n',
    )
    const result = await rivet(['run', '-c', file], { runtime: 'binary' })
    expect(result.code).toBe(0)
    expect(result.stderr).toContain('metrics: push of export a to http://127.0.0.1:1 failed')
  })
})
