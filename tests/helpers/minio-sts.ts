/**
 * Real temporary credentials from the test MinIO's STS AssumeRole, signed with the root keys
 * (MinIO lets the root user call it). Used by tests and by the credential_process script.
 */
import { AwsClient } from 'aws4fetch'
import { MINIO } from './s3.ts'

/** Temporary credentials as STS returns them. */
export interface StsCredentials {
  accessKeyId: string
  secretAccessKey: string
  sessionToken: string
  expiration: string
}

function tag(xml: string, name: string): string {
  const value = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1]
  if (!value) throw new Error(`MinIO STS answered without ${name}: ${xml.slice(0, 200)}`)
  return value
}

/** Asks MinIO for credentials that live `durationSeconds` (MinIO's minimum is 900). */
export async function minioAssumeRole(durationSeconds = 900): Promise<StsCredentials> {
  const client = new AwsClient({
    accessKeyId: MINIO.accessKey,
    secretAccessKey: MINIO.secretKey,
    service: 'sts',
    region: 'us-east-1',
  })
  const response = await client.fetch(`${MINIO.endpoint}/`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      Action: 'AssumeRole',
      Version: '2011-06-15',
      DurationSeconds: String(durationSeconds),
    })
      .toString(),
  })
  const xml = await response.text()
  if (!response.ok) throw new Error(`MinIO STS AssumeRole failed: ${response.status} ${tag(xml, 'Code')}`)
  return {
    accessKeyId: tag(xml, 'AccessKeyId'),
    secretAccessKey: tag(xml, 'SecretAccessKey'),
    sessionToken: tag(xml, 'SessionToken'),
    expiration: tag(xml, 'Expiration'),
  }
}
