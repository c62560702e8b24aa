/**
 * A credential_process for tests: `bun sts-credential-process.ts <count-file> <seconds>` gets
 * real credentials from MinIO's STS but reports them as expiring `<seconds>` from now, so rivet
 * must come back for new ones during a long run. Each call appends a line to `<count-file>`.
 */
import { appendFileSync } from 'node:fs'
import { minioAssumeRole } from './minio-sts.ts'

const [countFile, seconds] = process.argv.slice(2)
const credentials = await minioAssumeRole()
appendFileSync(countFile, `${new Date().toISOString()} ${credentials.accessKeyId}\n`)
console.log(JSON.stringify({
  Version: 1,
  AccessKeyId: credentials.accessKeyId,
  SecretAccessKey: credentials.secretAccessKey,
  SessionToken: credentials.sessionToken,
  Expiration: new Date(Date.now() + Number(seconds) * 1000).toISOString(),
}))
