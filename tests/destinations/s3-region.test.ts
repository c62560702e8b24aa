/**
 * S3 regions as the AWS CLI and SDKs resolve them, against a MinIO started with
 * MINIO_REGION=eu-north-1 (scripts/services.sh), which refuses a signature for any other region
 * with 400 AuthorizationHeaderMalformed and names its region in x-amz-bucket-region, as AWS does.
 * The order: the destination's `region`, AWS_REGION, AWS_DEFAULT_REGION, the profile in use, and
 * else the bucket's own region found from S3's answer. What rivet wrote is read back with the AWS SDK.
 */
import { beforeAll, describe, expect, test } from 'bun:test'
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'
import { AwsClient } from 'aws4fetch'
import { xmlTag } from '../../src/http/xml.ts'
import { awsEnv, awsHome } from '../helpers/aws.ts'
import { errorLines, rivet, type Runtime } from '../helpers/cli.ts'
import { objectStoreConfig } from '../helpers/cloud-export.ts'
import { tempDir } from '../helpers/files.ts'
import { pgExec } from '../helpers/pg.ts'
import { MINIO } from '../helpers/s3.ts'

const EU = { endpoint: 'http://127.0.0.1:9100', region: 'eu-north-1' }
const TABLE = 'rivet_s3_region_rows'
const KEYS = `[minio]\naws_access_key_id = ${MINIO.accessKey}\naws_secret_access_key = ${MINIO.secretKey}\n`

const sdk = new S3Client({
  endpoint: EU.endpoint,
  region: EU.region,
  forcePathStyle: true,
  credentials: { accessKeyId: MINIO.accessKey, secretAccessKey: MINIO.secretKey },
})

async function newBucket(): Promise<string> {
  const name = `rivet-region-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  await sdk.send(new CreateBucketCommand({ Bucket: name }))
  return name
}

async function keys(bucket: string): Promise<string[]> {
  const page = await sdk.send(new ListObjectsV2Command({ Bucket: bucket }))
  return (page.Contents ?? []).map((o) => o.Key!).sort()
}

/** The CSV rivet wrote, read back by the AWS SDK. */
async function csvIn(bucket: string): Promise<string> {
  const key = (await keys(bucket)).find((k) => k.endsWith('.csv'))!
  const out = await sdk.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
  return await out.Body!.transformToString()
}

function config(bucket: string, settings: string): string {
  return objectStoreConfig(
    tempDir(),
    `  type: s3\n  bucket: ${bucket}\n  endpoint: ${EU.endpoint}\n${settings}`,
    `  - name: rows\n    table: ${TABLE}\n    format: csv\n`,
  )
}

const EXPECTED_CSV = "id,label\r\n1,one\r\n2,it's & <two>\r\n"

beforeAll(async () => {
  await pgExec(`
    drop table if exists ${TABLE};
    create table ${TABLE} (id int primary key, label text);
    insert into ${TABLE} values (1, 'one'), (2, 'it''s & <two>');
  `)
})

describe('S3 region resolution', () => {
  test.each(['bun', 'deno', 'binary'] as Runtime[])(
    '%s: the region of the profile in use signs S3 requests (aws_profile, no region: key)',
    async (runtime) => {
      const bucket = await newBucket()
      const home = awsHome({
        config: `[profile prod]\nregion = ${EU.region}\n`,
        credentials: KEYS.replace('minio', 'prod'),
      })
      const result = await rivet(['run', '-c', config(bucket, '  aws_profile: prod\n'), '--json'], {
        env: awsEnv({ HOME: home }),
        runtime,
      })
      expect(errorLines(result.stderr)).toEqual([])
      expect(result.code).toBe(0)
      expect(await csvIn(bucket)).toBe(EXPECTED_CSV)
    },
    60_000,
  )

  test('order: region: over AWS_REGION over AWS_DEFAULT_REGION over the profile (AWS_PROFILE)', async () => {
    const home = awsHome({
      config: '[profile other]\nregion = ap-south-1\n[default]\nregion = ap-south-1\n',
      credentials: KEYS.replace('minio', 'other') + KEYS.replace('minio', 'default'),
    })
    const cases: [string, Record<string, string>][] = [
      ['  region: eu-north-1\n', { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'us-west-2' }],
      ['', { AWS_REGION: EU.region, AWS_DEFAULT_REGION: 'us-west-2' }],
      ['', { AWS_DEFAULT_REGION: EU.region }],
    ]
    for (const [settings, vars] of cases) {
      const bucket = await newBucket()
      const result = await rivet(['run', '-c', config(bucket, settings), '--json'], {
        env: awsEnv({ HOME: home, AWS_PROFILE: 'other', ...vars }),
      })
      expect(errorLines(result.stderr)).toEqual([])
      expect(result.code).toBe(0)
      expect(await csvIn(bucket)).toBe(EXPECTED_CSV)
    }
    // The profile AWS_PROFILE selects gives the region when no variable does.
    const selected = awsHome({
      config: `[profile eu]\nregion = ${EU.region}\n`,
      credentials: KEYS.replace('minio', 'eu'),
    })
    const bucket = await newBucket()
    const result = await rivet(['run', '-c', config(bucket, ''), '--json'], {
      env: awsEnv({ HOME: selected, AWS_PROFILE: 'eu' }),
    })
    expect(result.code).toBe(0)
    expect(await csvIn(bucket)).toBe(EXPECTED_CSV)
  }, 60_000)

  test("no region anywhere: the bucket's own region is found, used, and said at debug level", async () => {
    const bucket = await newBucket()
    const result = await rivet(
      [
        'run',
        '-c',
        config(bucket, '  access_key_env: RIVET_S3_KEY\n  secret_key_env: RIVET_S3_SECRET\n'),
        '--json',
        '--log-level',
        'debug',
      ],
      { env: awsEnv({ RIVET_S3_KEY: MINIO.accessKey, RIVET_S3_SECRET: MINIO.secretKey }) },
    )
    expect(errorLines(result.stderr)).toEqual([])
    expect(result.code).toBe(0)
    const found = result.stderr.split('\n').filter((l) => l.includes(`is in region ${EU.region}`))
    // Found once and remembered for the rest of the run (the state and manifest writes too).
    expect(found).toHaveLength(1)
    expect(JSON.parse(found[0])).toMatchObject({
      level: 'debug',
      msg: `S3 bucket ${bucket} is in region ${EU.region}; using it for this run`,
    })
    expect(await csvIn(bucket)).toBe(EXPECTED_CSV)
  }, 60_000)

  test(
    'a region given explicitly and wrong: exit 2, one line naming the real region and the key, nothing written',
    async () => {
      const bucket = await newBucket()
      const explicit = await rivet(['run', '-c', config(bucket, '  region: us-west-2\n'), '--json'], {
        env: awsEnv({ HOME: awsHome({ credentials: KEYS.replace('minio', 'default') }) }),
      })
      expect(explicit.code).toBe(2)
      expect(JSON.parse(explicit.stdout).error).toEqual({
        code: 'CONFIG_WRONG_REGION',
        exit: 2,
        message: `S3 bucket ${bucket} is in region eu-north-1, not us-west-2 (from destination.region); ` +
          'set region: eu-north-1 in the destination, or change destination.region',
      })
      const fromEnv = await rivet(['run', '-c', config(bucket, ''), '--json'], {
        env: awsEnv({
          HOME: awsHome({ credentials: KEYS.replace('minio', 'default') }),
          AWS_REGION: 'us-west-2',
        }),
      })
      expect(fromEnv.code).toBe(2)
      expect(JSON.parse(fromEnv.stdout).error.message).toContain('(from AWS_REGION); set region: eu-north-1')
      expect(await keys(bucket)).toEqual([])
    },
    60_000,
  )

  test('S3 error messages are decoded from XML (no &#39; or &amp;)', async () => {
    // A real answer: MinIO quotes both regions in apostrophes, which it escapes as &#39;.
    const signer = new AwsClient({
      accessKeyId: MINIO.accessKey,
      secretAccessKey: MINIO.secretKey,
      service: 's3',
      region: 'us-east-1',
    })
    const answer = await signer.fetch(`${EU.endpoint}/${await newBucket()}?list-type=2`)
    const xml = await answer.text()
    expect(answer.status).toBe(400)
    expect(answer.headers.get('x-amz-bucket-region')).toBe(EU.region)
    expect(xml).toContain('&#39;')
    const message = xmlTag(xml, 'Message')!
    expect(message).not.toMatch(/&#?\w+;/)
    expect(message).toContain(`'${EU.region}'`)
    expect(xmlTag('<Message>a &amp; b &lt;c&gt; &quot;d&quot; &#x41;</Message>', 'Message')).toBe(
      'a & b <c> "d" A',
    )
  })
})
