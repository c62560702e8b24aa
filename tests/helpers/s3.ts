/**
 * The test MinIO (scripts/services.sh) and an independent S3 client for it: the AWS SDK, which
 * shares no code with rivet's own S3 path, creates buckets and reads back what rivet wrote.
 */
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { Buffer } from 'node:buffer'
import { createServer, request } from 'node:http'
import type { AddressInfo } from 'node:net'

/** MinIO's endpoint and root credentials. */
export const MINIO = {
  endpoint: 'http://127.0.0.1:9000',
  accessKey: 'rivet-root',
  secretKey: 'rivet-root-secret-123',
}

/** Environment for a rivet run that authenticates with the root keys through `*_env` settings. */
export const MINIO_ENV = { RIVET_S3_KEY: MINIO.accessKey, RIVET_S3_SECRET: MINIO.secretKey }

const client = new S3Client({
  endpoint: MINIO.endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: MINIO.accessKey, secretAccessKey: MINIO.secretKey },
})

/** Creates a bucket with a unique name and returns the name. */
export async function newBucket(prefix = 'rivet-test'): Promise<string> {
  const name = `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`
  await client.send(new CreateBucketCommand({ Bucket: name }))
  return name
}

/** Every key in a bucket, sorted. */
export async function listKeys(bucket: string): Promise<string[]> {
  const keys: string[] = []
  let token: string | undefined
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }))
    for (const o of page.Contents ?? []) keys.push(o.Key!)
    token = page.NextContinuationToken
  } while (token)
  return keys.sort()
}

/** An object's bytes, or the bytes from `start` to the end. */
export async function getObject(bucket: string, key: string, start?: number): Promise<Uint8Array> {
  const range = start === undefined ? undefined : `bytes=${start}-`
  const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }))
  return await out.Body!.transformToByteArray()
}

/** Writes an object whole, replacing what is there (to corrupt a part behind rivet's back). */
export async function putObject(bucket: string, key: string, body: Uint8Array): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
}

/** Deletes an object (the 1 GB tests' objects would fill a disk over repeated runs). */
export async function deleteObject(bucket: string, key: string): Promise<void> {
  await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }))
}

/** An object's ETag (a multipart object's ends in `-<parts>`). */
export async function etag(bucket: string, key: string): Promise<string> {
  return (await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag ?? ''
}

/** Multipart uploads started and neither completed nor aborted. */
export async function pendingUploads(bucket: string): Promise<string[]> {
  const out = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }))
  return (out.Uploads ?? []).map((u) => u.Key!)
}

/** What a {@link minioProxy} saw of one request. */
export interface SeenRequest {
  host: string | undefined
  url: string | undefined
  body: string
}

/**
 * A recording proxy in front of the test MinIO (STS included): every request is kept (Host, URL
 * and body) and passed on as it came, so MinIO still checks signatures made over it.
 */
export async function minioProxy(): Promise<{ url: string; seen: SeenRequest[]; close: () => void }> {
  const seen: SeenRequest[] = []
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      seen.push({ host: req.headers.host, url: req.url, body: body.toString('utf8') })
      const upstream = request(
        { host: '127.0.0.1', port: 9000, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode!, answer.headers)
          answer.pipe(res)
        },
      )
      upstream.end(body)
    })
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    seen,
    close: () => proxy.close(),
  }
}
