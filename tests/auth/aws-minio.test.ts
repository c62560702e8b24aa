/**
 * AWS credentials end to end through the CLI against MinIO, which checks SigV4 and session
 * tokens for real: STS session keys (and a tampered token), a credential_process whose
 * credentials "expire" every 20 seconds during a long export, a profile that assumes a role
 * through MinIO's STS, and `rivet doctor`. Every run is at debug level and its output is
 * scanned for every key, secret, token and signature involved.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { AWS_PLANTED, awsEnv, awsHome } from '../helpers/aws.ts'
import { type CliResult, errorLines, rivet, ROOT, type Runtime } from '../helpers/cli.ts'
import { objectStoreConfig } from '../helpers/cloud-export.ts'
import { tempDir } from '../helpers/files.ts'
import { minioAssumeRole } from '../helpers/minio-sts.ts'
import { pgExec } from '../helpers/pg.ts'
import { etag, getObject, listKeys, MINIO, newBucket } from '../helpers/s3.ts'

const TABLE = 'rivet_aws_auth_rows'
const ROLE = 'arn:aws:iam::123456789012:role/rivet-export'
/** Values no output may contain, grown by each test with the temporary credentials it used. */
const secrets = [MINIO.secretKey, ...Object.values(AWS_PLANTED)]
const outputs: CliResult[] = []

beforeAll(async () => {
  await pgExec(`
    drop table if exists ${TABLE};
    create table ${TABLE} (id bigint primary key, label text);
    insert into ${TABLE} select i, md5(i::text) from generate_series(1, 20000) i;
  `)
})

function config(
  dir: string,
  bucket: string,
  credentials: string,
  exports = `  - name: rows\n    table: ${TABLE}\n`,
) {
  const destination = `  type: s3\n  bucket: ${bucket}\n  endpoint: ${MINIO.endpoint}\n${credentials}\n`
  return objectStoreConfig(dir, destination, exports)
}

/** Runs rivet at debug level with only `env` for AWS settings; keeps the output for the scan. */
async function run(
  args: string[],
  env: Record<string, string | undefined>,
  runtime?: Runtime,
): Promise<CliResult> {
  const result = await rivet([...args, '--log-level', 'debug'], { env: awsEnv(env), runtime })
  outputs.push(result)
  return result
}

describe('AWS credentials against MinIO', () => {
  test('STS session keys with session_token_env export; a tampered token exits 4 naming the token', async () => {
    const sts = await minioAssumeRole()
    const tampered = `${sts.sessionToken.slice(0, -6)}AAAAAA`
    secrets.push(sts.secretAccessKey, sts.sessionToken, tampered)
    const bucket = await newBucket()
    const keys =
      '  access_key_env: RIVET_S3_KEY\n  secret_key_env: RIVET_S3_SECRET\n  session_token_env: RIVET_S3_TOKEN'
    const file = config(tempDir(), bucket, keys)
    const env = {
      RIVET_S3_KEY: sts.accessKeyId,
      RIVET_S3_SECRET: sts.secretAccessKey,
      RIVET_S3_TOKEN: sts.sessionToken,
    }
    const ok = await run(['run', '-c', file, '--json'], env)
    expect(errorLines(ok.stderr)).toEqual([])
    expect(ok.code).toBe(0)
    expect((await listKeys(bucket)).filter((k) => k.endsWith('.parquet'))).toHaveLength(1)

    const other = await newBucket()
    const bad = await run(['run', '-c', config(tempDir(), other, keys), '--json'], {
      ...env,
      RIVET_S3_TOKEN: tampered,
    })
    expect(bad.code).toBe(4)
    const error = JSON.parse(bad.stdout).error
    expect(error).toMatchObject({ code: 'AUTH_EXPIRED', exit: 4 })
    expect(error.message).toBe(
      `S3 bucket ${other} refused ListObjectsV2: the session token from env static (RIVET_S3_KEY, RIVET_S3_TOKEN) ` +
        'is expired or invalid (InvalidTokenId: The security token included in the request is invalid); ' +
        'reported as AUTH_EXPIRED because S3 answers the same for an expired, revoked or altered token; ' +
        'these keys cannot refresh themselves: export fresh ones (e.g. `aws configure export-credentials --format env`) ' +
        'or use a profile or role rivet can refresh',
    )
    expect(await listKeys(other)).toEqual([])
  })

  test('a profile whose role_arn + source_profile assumes a role through MinIO STS exports', async () => {
    const bucket = await newBucket()
    const home = awsHome({
      config:
        `[profile exporter]\nrole_arn = ${ROLE}\nsource_profile = minio\nrole_session_name = rivet-e2e\n`,
      credentials:
        `[minio]\naws_access_key_id = ${MINIO.accessKey}\naws_secret_access_key = ${MINIO.secretKey}\n`,
    })
    const file = config(tempDir(), bucket, '  aws_profile: exporter')
    const env = { HOME: home, AWS_ENDPOINT_URL_STS: MINIO.endpoint }
    const result = await run(['run', '-c', file, '--json'], env)
    expect(errorLines(result.stderr)).toEqual([])
    expect(result.code).toBe(0)
    expect(result.stderr).toContain(
      `credentials from profile exporter (assumed role ${ROLE} via profile minio (static)): key `,
    )
    expect((await listKeys(bucket)).filter((k) => k.endsWith('.parquet'))).toHaveLength(1)

    // doctor: the resolved source, the masked temporary key, its expiry and the time left.
    const doctor = await run(['doctor', '-c', file, '--json'], env)
    expect(doctor.code).toBe(0)
    const [credentials] = JSON.parse(doctor.stdout).destinations[0].steps
    expect(credentials.detail).toMatch(
      new RegExp(
        `^profile exporter \\(assumed role ${ROLE} via profile minio \\(static\\)\\) [A-Z0-9]{4}\\*{4}[A-Z0-9]{4}, ` +
          'expires \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z \\(in (59|60) min, refreshed automatically\\)$',
      ),
    )
  })

  test('under Deno too: a credential_process profile, and a role assumed through MinIO STS', async () => {
    const calls = join(tempDir(), 'calls')
    const script = join(ROOT, 'tests', 'helpers', 'sts-credential-process.ts')
    const home = awsHome({
      config: `[profile ci]\ncredential_process = ${process.execPath} ${script} ${calls} 600\n` +
        `[profile exporter]\nrole_arn = ${ROLE}\nsource_profile = minio\n`,
      credentials:
        `[minio]\naws_access_key_id = ${MINIO.accessKey}\naws_secret_access_key = ${MINIO.secretKey}\n`,
    })
    for (const profile of ['ci', 'exporter']) {
      const bucket = await newBucket()
      const file = config(tempDir(), bucket, `  aws_profile: ${profile}`)
      const result = await run(['run', '-c', file, '--json'], {
        HOME: home,
        AWS_ENDPOINT_URL_STS: MINIO.endpoint,
      }, 'deno')
      expect(errorLines(result.stderr)).toEqual([])
      expect(result.code).toBe(0)
      expect(result.stderr).toContain(`"credentials from profile ${profile} (`)
      expect((await listKeys(bucket)).filter((k) => k.endsWith('.parquet'))).toHaveLength(1)
    }
    expect(readFileSync(calls, 'utf8').trim().split('\n')).toHaveLength(1)
  })

  test(
    'refresh across a long run: credential_process credentials "expire" every 20 s during a 60+ s export',
    async () => {
      const bucket = await newBucket()
      const calls = join(tempDir(), 'credential-process-calls')
      const script = join(ROOT, 'tests', 'helpers', 'sts-credential-process.ts')
      const home = awsHome({
        config: `[profile ci]\ncredential_process = ${process.execPath} ${script} ${calls} 20\n`,
      })
      // ~60 MB of CSV in 5 MB parts, with the source sleeping 0.12 s every 100 rows (~72 s in all).
      const rows = 60_000
      const file = config(
        tempDir(),
        bucket,
        '  aws_profile: ci\n  part_size: 5MB',
        `  - name: slow\n    format: csv\n    query: >-\n      select i, repeat(md5(i::text), 32) as pad from generate_series(1, ${rows}) i,\n` +
          '      lateral (select pg_sleep(case when i % 100 = 0 then 0.12 else 0 end)) s\n',
      )
      const started = Date.now()
      const result = await run(['run', '-c', file, '--json'], { HOME: home })
      const seconds = (Date.now() - started) / 1000
      expect(errorLines(result.stderr)).toEqual([])
      expect(result.code).toBe(0)
      expect(seconds).toBeGreaterThan(60)
      const logged = result.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l))
      // No retried, refused or failed request and no failed refresh: nothing above info but the summary.
      expect(logged.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([])

      const lines = readFileSync(calls, 'utf8').trim().split('\n')
      const times = lines.map((l) => Date.parse(l.split(' ')[0]))
      console.log(`credential_process calls: ${lines.length} in ${seconds.toFixed(1)} s`)
      expect(lines.length).toBeGreaterThanOrEqual(3)
      expect(times.at(-1)! - times[0]).toBeGreaterThan(40_000)
      expect(
        logged.filter((l) => /^credentials from profile ci \(credential_process\): key /.test(l.msg)).length,
      )
        .toBe(lines.length)

      const key = (await listKeys(bucket)).find((k) => k.endsWith('.csv'))!
      expect(await etag(bucket, key)).toMatch(/-1[0-9]"$/)
      const csv = new TextDecoder().decode(await getObject(bucket, key))
      expect(csv.split('\r\n').length).toBe(rows + 2) // header and a final empty split
    },
    240_000,
  )

  test('no key, secret, token or signature in any output at debug level', () => {
    const text = outputs.map((o) => o.stdout + o.stderr).join('\n')
    expect(text).toContain('"level":"debug"')
    for (const secret of secrets) expect(text).not.toContain(secret)
    expect(text).not.toMatch(/Signature=|X-Amz-Signature|x-amz-security-token|Credential=/i)
  })
})
