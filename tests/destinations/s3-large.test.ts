/**
 * A 1 GB export to MinIO goes through multipart upload in bounded memory: the parts have the
 * configured size, the object is whole, and the process never holds the file.
 */
import { expect, test } from 'bun:test'
import { rivet } from '../helpers/cli.ts'
import { tempDir, writeConfig } from '../helpers/files.ts'
import { etag, getObject, listKeys, MINIO, MINIO_ENV, newBucket, pendingUploads } from '../helpers/s3.ts'

const ROWS = 4_000_000
// Each row: the id, a comma, 250 characters and CRLF: about 1 GB in all.
const ROW_BYTES = (i: number) => String(i).length + 1 + 250 + 2

test('1 GB of CSV streams to S3 as 16 MB parts with peak RSS under 300 MB', async () => {
  const bucket = await newBucket()
  const dir = tempDir()
  const file = writeConfig(
    dir,
    `source: { type: postgres, url: "postgres://postgres@127.0.0.1:5432/test" }
destination:
  type: s3
  bucket: ${bucket}
  endpoint: ${MINIO.endpoint}
  access_key_env: RIVET_S3_KEY
  secret_key_env: RIVET_S3_SECRET
exports:
  - name: big
    format: csv
    query: select i, rpad(i::text, 250, 'x') as pad from generate_series(1, ${ROWS}) i
`,
  )
  const result = await rivet(['run', '-c', file, '--json'], { env: MINIO_ENV })
  expect(result.stderr).not.toContain('"level":"error"')
  expect(result.code).toBe(0)
  let expected = 'i,pad\r\n'.length
  for (let i = 1; i <= ROWS; i++) expected += ROW_BYTES(i)
  const doc = JSON.parse(result.stdout)
  expect(doc.exports[0].bytes).toBe(expected)
  expect(expected).toBeGreaterThan(1_000_000_000)

  const key = (await listKeys(bucket)).find((k) => k.endsWith('.csv'))!
  expect(await etag(bucket, key)).toMatch(new RegExp(`-${Math.ceil(expected / (16 * 1024 * 1024))}"$`))
  expect(await pendingUploads(bucket)).toEqual([])
  expect(result.peakKb).toBeLessThan(300 * 1024)
  console.log(`1 GB to S3: peak RSS ${Math.round(result.peakKb / 1024)} MB`)
  // The last row is the last thing in the object.
  const tail = new TextDecoder().decode((await getObject(bucket, key)).subarray(expected - 300))
  expect(tail.endsWith(`${ROWS},${String(ROWS).padEnd(250, 'x')}\r\n`)).toBe(true)
}, 600_000)
