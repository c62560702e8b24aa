/**
 * Secret values the tests plant in configs and environments. None may ever appear in anything
 * rivet prints: scripts/scan-secrets.ts checks the whole suite's captured output for them.
 */
import { AWS_PLANTED } from './aws.ts'
import { AZURITE, SAS, sasSignatures, WRONG_AZURE_KEY } from './azure.ts'
import { AZURE_PLANTED } from './azure-fakes.ts'
import { GCP_PLANTED } from './gcp-fakes.ts'
import { GCS_TOKEN } from './gcs.ts'
import { MINIO } from './s3.ts'

export const PLANTED_SECRETS = [
  'hunter2-planted',
  'wrong-planted-password',
  'rivet-test-password',
  'mysql-wrong-planted-password',
  'mysql-hunter2-planted',
  AZURITE.key,
  WRONG_AZURE_KEY,
  ...Object.values(SAS).flatMap(sasSignatures),
  ...Object.values(AZURE_PLANTED),
  GCS_TOKEN,
  ...Object.values(GCP_PLANTED),
  MINIO.secretKey,
  ...Object.values(AWS_PLANTED),
]
