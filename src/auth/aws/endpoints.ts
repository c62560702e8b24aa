/**
 * Where an AWS service is: the standard overrides (AWS_ENDPOINT_URL_<SERVICE>, AWS_ENDPOINT_URL,
 * a profile's `endpoint_url`, all off with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true), else the
 * regional endpoint. These overrides are also how tests reach their fakes.
 */
import { env } from '../../runtime/process.ts'
import type { IniSection } from './ini.ts'

/** The DNS suffix of a region's partition. */
function dnsSuffix(region: string): string {
  return region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'
}

/**
 * The endpoint of a service: `serviceId` is its id in the variable name (`STS`, `SSO`), `host`
 * its regional host name before the partition suffix (`sts.eu-north-1`).
 */
export function serviceEndpoint(
  serviceId: string,
  host: string,
  region: string,
  profile?: IniSection,
): string {
  const configured = env('AWS_IGNORE_CONFIGURED_ENDPOINT_URLS') === 'true'
    ? undefined
    : env(`AWS_ENDPOINT_URL_${serviceId}`) ?? env('AWS_ENDPOINT_URL') ?? profile?.endpoint_url
  return (configured ?? `https://${host}.${dnsSuffix(region)}`).replace(/\/+$/, '')
}
