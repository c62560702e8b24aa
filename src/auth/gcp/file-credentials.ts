/**
 * The provider a Google credential file stands for, whichever flow its `type` names; a file that
 * impersonates a service account gets the base credential its `source_credentials` (or, for
 * workload identity federation, the STS exchange) describes, with the scope impersonation needs.
 */
import type { Logger } from '../../log/logger.ts'
import { authorizedUserSource } from './authorized-user.ts'
import { CLOUD_PLATFORM_SCOPE } from './endpoint.ts'
import { federatedSource } from './external-account.ts'
import { impersonatedSource } from './impersonation.ts'
import type { GoogleKeyFile } from './key-file.ts'
import { serviceAccountSource } from './service-account.ts'
import { cachedToken, type FileOrigin, type GoogleCredentials } from './source.ts'

/** The provider for `file`, asking for `scope`; `origin` says where the file was found. */
export function fileCredentials(
  file: GoogleKeyFile,
  origin: FileOrigin,
  scope: string,
  logger?: Logger,
): GoogleCredentials {
  switch (file.type) {
    case 'service_account':
      return cachedToken(serviceAccountSource(file, origin, scope), logger)
    case 'authorized_user':
      return cachedToken(authorizedUserSource(file, origin), logger)
    case 'external_account': {
      if (!file.impersonationUrl) return cachedToken(federatedSource(file, origin, scope), logger)
      const federated = cachedToken(federatedSource(file, origin, CLOUD_PLATFORM_SCOPE), logger)
      return cachedToken(impersonatedSource(federated, { url: file.impersonationUrl, scope }), logger)
    }
    case 'impersonated_service_account': {
      const base = fileCredentials(file.source, origin, CLOUD_PLATFORM_SCOPE, logger)
      return cachedToken(
        impersonatedSource(base, { url: file.impersonationUrl, delegates: file.delegates, scope }),
        logger,
      )
    }
  }
}
