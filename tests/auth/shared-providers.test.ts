/**
 * One credential provider per credential source, per process: every export of a run, the state
 * store, the chunk workers, `validate` and `doctor` share it. Counted where it costs: the runs of
 * a `credential_process` (which may prompt for MFA), and the AssumeRole calls that reach STS (MinIO's,
 * through a counting proxy), across a run of seven exports to one bucket, one of them chunked with
 * `parallel: 4`, with the state on the destination.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { awsEnv, awsHome } from '../helpers/aws.ts'
import { errorLines, rivet, ROOT, type Runtime } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import { PG_URL, pgExec } from '../helpers/pg.ts'
import { listKeys, MINIO, minioProxy, newBucket } from '../helpers/s3.ts'

const TABLE = 'rivet_shared_provider_rows'
const ROLE = 'arn:aws:iam::123456789012:role/rivet-shared'

beforeAll(async () => {
  await pgExec(`
    drop table if exists ${TABLE};
    create table ${TABLE} (id bigint primary key, label text);
    insert into ${TABLE} select i, md5(i::text) from generate_series(1, 2000) i;
  `)
})

/** Six full exports and a chunked one (8 chunks, 4 workers), state on the destination. */
function config(bucket: string, credentials: string): string {
  const full = Array.from({ length: 6 }, (_, i) => `  - name: e${i}\n    table: ${TABLE}\n    format: csv\n`)
  return writeConfig(
    tempDir(),
    `source: { type: postgres, url: "${PG_URL}" }\n` +
      `destination:\n  type: s3\n  bucket: ${bucket}\n  endpoint: ${MINIO.endpoint}\n  region: us-east-1\n${credentials}` +
      'state: { type: destination }\n' +
      `exports:\n${full.join('')}` +
      `  - name: chunked\n    table: ${TABLE}\n    mode: chunked\n    chunk_column: id\n    chunk_size: 250\n    parallel: 4\n`,
  )
}

function lines(file: string): string[] {
  return readFileSync(file, 'utf8').trim().split('\n')
}

describe('one credential provider per source per process', () => {
  test.each(['bun', 'deno', 'binary'] as Runtime[])(
    '%s: credential_process runs once for a run of seven exports, chunk workers and state; once per validate and doctor',
    async (runtime) => {
      const calls = join(tempDir(), 'calls')
      const script = join(ROOT, 'tests', 'helpers', 'sts-credential-process.ts')
      const home = awsHome({
        config: `[profile ci]\ncredential_process = ${process.execPath} ${script} ${calls} 3600\n`,
      })
      const bucket = await newBucket()
      const file = config(bucket, '  aws_profile: ci\n')
      const env = awsEnv({ HOME: home })

      const run = await rivet(['run', '-c', file, '--json'], { env, runtime })
      expect(errorLines(run.stderr)).toEqual([])
      expect(run.code).toBe(0)
      const exports = JSON.parse(run.stdout).exports
      expect(exports.map((e: { name: string }) => e.name)).toEqual([
        'e0',
        'e1',
        'e2',
        'e3',
        'e4',
        'e5',
        'chunked',
      ])
      const keys = await listKeys(bucket)
      // Every export's state (its schema, the chunked one's checkpoints) went through the store too.
      expect(keys.filter((k) => k.endsWith('_rivet/state.json'))).toHaveLength(7)
      expect(keys.filter((k) => k.includes('/_rivet/runs/'))).toHaveLength(7)
      expect(keys.filter((k) => k.startsWith('chunked/chunked-') && k.endsWith('.parquet')).length).toBe(8)
      expect(lines(calls)).toHaveLength(1)

      const validate = await rivet(['validate', '-c', file], { env, runtime })
      expect(validate.code).toBe(0)
      expect(lines(calls)).toHaveLength(2)
      const doctor = await rivet(['doctor', '-c', file, '--json'], { env, runtime })
      expect(doctor.code).toBe(0)
      expect(lines(calls)).toHaveLength(3)
    },
    120_000,
  )

  test('a role profile asks STS once for the whole run', async () => {
    const proxy = await minioProxy()
    try {
      const home = awsHome({
        config: `[profile exporter]\nrole_arn = ${ROLE}\nsource_profile = minio\n`,
        credentials:
          `[minio]\naws_access_key_id = ${MINIO.accessKey}\naws_secret_access_key = ${MINIO.secretKey}\n`,
      })
      const bucket = await newBucket()
      const run = await rivet(['run', '-c', config(bucket, '  aws_profile: exporter\n'), '--json'], {
        env: awsEnv({
          HOME: home,
          AWS_ENDPOINT_URL_STS: proxy.url,
        }),
      })
      expect(errorLines(run.stderr)).toEqual([])
      expect(run.code).toBe(0)
      expect(JSON.parse(run.stdout).exports).toHaveLength(7)
      const assumed = proxy.seen.filter((r) => r.body.includes('Action=AssumeRole'))
      expect(assumed).toHaveLength(1)
      expect(assumed[0].body).toContain(`RoleArn=${encodeURIComponent(ROLE)}`)
    } finally {
      proxy.close()
    }
  }, 120_000)
})
