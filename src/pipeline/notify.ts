/**
 * Notifications: one JSON message per event of a run, posted to an incoming webhook in Slack's
 * shape (`{"text": ...}`, which Microsoft Teams and Mattermost accept too). The URL carries the
 * webhook's token, so it is a {@link Secret}: it appears in no log line, error or document. A
 * webhook that fails is logged and never changes the run's exit code.
 */
import { fetchWithin } from '../http/request.ts'
import type { Logger } from '../log/logger.ts'
import { redact } from '../log/redact.ts'
import type { Secret } from '../log/secret.ts'

/** What a run notifies about: a failed export, a schema drift (refused or let through), a failed quality rule. */
export type NotifyEvent = 'failure' | 'drift' | 'quality'

/** One event of one export. */
export interface Notification {
  event: NotifyEvent
  /** The export, or several (`a, b`) when the source could not be opened for any of them. */
  export: string
  /** The run, when one had started. */
  runId: string | undefined
  /** One line: what happened. */
  message: string
}

/** How long a webhook may take to answer. */
const WEBHOOK_TIMEOUT_MS = 10_000

const TITLES: Record<NotifyEvent, string> = {
  failure: 'failed',
  drift: 'schema drift',
  quality: 'quality check failed',
}

/**
 * The message a webhook receives for `n`. It leaves the machine, so it goes through the same
 * redaction as rivet's own output (a driver's message could quote a URL with its password).
 */
export function webhookMessage(n: Notification): { text: string } {
  const run = n.runId ? `, run ${n.runId}` : ''
  return { text: redact(`rivet: export ${n.export}: ${TITLES[n.event]}${run}: ${n.message}`) }
}

/** Posts the events a config asks for to its webhook. */
export class Notifier {
  constructor(
    private readonly url: Secret,
    /** The environment variable the URL came from, to name it in messages. */
    private readonly urlEnv: string,
    private readonly events: ReadonlySet<NotifyEvent>,
    private readonly logger: Logger,
  ) {}

  /** Whether `event` is one to send. */
  wants(event: NotifyEvent): boolean {
    return this.events.has(event)
  }

  /** Posts `n`; a failure is logged without the URL. */
  async send(n: Notification): Promise<void> {
    try {
      const answer = await fetchWithin(this.url.reveal(), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(webhookMessage(n)),
      }, WEBHOOK_TIMEOUT_MS)
      if (!answer.ok) throw new Error(`HTTP ${answer.status}`)
    } catch (error) {
      // NoAnswerError names only the origin; the path, which holds the token, stays out.
      this.logger.warn(
        `notifications: the webhook in ${this.urlEnv} did not take the ${n.event} message of export ${n.export}: ${
          (error as Error).message
        }`,
      )
    }
  }
}
