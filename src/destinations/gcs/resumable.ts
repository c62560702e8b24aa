/**
 * One GCS resumable upload session. Chunks go up in order, each a multiple of 256 KiB except
 * the last, with `Content-Range: bytes first-last/total` (total `*` until the last chunk names
 * the size). After a 5xx or a lost connection the session is asked how much it committed (an
 * empty PUT with the range `*`, answered by 308 and `Range: bytes=0-N`) and the chunk goes on
 * from there: resending committed bytes would be refused, skipping any would corrupt the object.
 * https://cloud.google.com/storage/docs/performing-resumable-uploads
 */
import { Secret } from '../../log/secret.ts'
import { type Answer, transient } from '../../http/request.ts'
import { STORE_RETRY, withRetry } from '../../http/retry.ts'
import type { GcsClient } from './client.ts'

/** GCS chunks (all but the last) are multiples of this. */
export const GCS_CHUNK_MULTIPLE = 256 * 1024

/** The next byte a session expects, or `complete` once it has made the object. */
type SessionState = number | 'complete'

/** What a session answered to a chunk or a status query. */
function stateOf(response: Answer): SessionState {
  if (response.status !== 308) return 'complete'
  // `Range: bytes=0-N` means N + 1 bytes are committed; no Range header means none are.
  const range = /bytes=0-(\d+)/.exec(response.headers.get('range') ?? '')
  return range ? Number(range[1]) + 1 : 0
}

/** A resumable upload of one object. */
export class ResumableSession {
  /** The session URI: whoever holds it can write the object, so it is kept as a secret. */
  #uri: Secret | undefined

  constructor(private readonly client: GcsClient, private readonly name: string) {}

  /** Opens the session. */
  async begin(): Promise<void> {
    const response = await withRetry(
      () =>
        this.client.send('StartResumableUpload', 'POST', this.client.uploadUrl(this.name, 'resumable'), {
          headers: { 'x-upload-content-type': 'application/octet-stream' },
        }),
      transient,
      STORE_RETRY,
    )
    const location = response.headers.get('location')
    if (!location) throw new Error('StartResumableUpload: the answer named no session URI')
    this.#uri = new Secret(location)
  }

  private uri(): string {
    if (!this.#uri) throw new Error('the upload session was never opened')
    return this.#uri.reveal()
  }

  /** How far the session got. */
  private async state(total: string): Promise<SessionState> {
    const response = await this.client.send('QueryUploadStatus', 'PUT', this.uri(), {
      headers: { 'content-range': `bytes */${total}` },
      accept: [308],
    })
    return stateOf(response)
  }

  /** Uploads bytes `offset..offset + body.length`; `last` names the object's size and completes it. */
  async upload(offset: number, body: Uint8Array, last: boolean): Promise<void> {
    const end = offset + body.length
    const total = last ? String(end) : '*'
    let next: SessionState = offset
    await withRetry(
      async (attempt) => {
        if (attempt > 1) next = await this.state(total)
        while (next !== 'complete' && next < end) {
          if (next < offset) {
            throw new Error(
              `the upload session lost committed bytes (it has ${next}, ${offset} were confirmed)`,
            )
          }
          const response: Answer = await this.client.send('UploadChunk', 'PUT', this.uri(), {
            body: body.subarray(next - offset),
            headers: { 'content-range': `bytes ${next}-${end - 1}/${total}` },
            accept: [308],
          })
          const reached = stateOf(response)
          // A session may commit less than it was sent; the loop sends the rest, but must progress.
          if (reached !== 'complete' && reached <= next) {
            throw new Error(`the upload session accepted no bytes from ${next}`)
          }
          next = reached
        }
        if (last && next !== 'complete') {
          throw new Error('the upload session has every byte but made no object')
        }
      },
      transient,
      STORE_RETRY,
    )
  }

  /** Cancels the session so nothing of it remains; never throws. */
  async cancel(): Promise<void> {
    if (!this.#uri) return
    // GCS answers a cancelled session with 499.
    await this.client.send('CancelUpload', 'DELETE', this.uri(), { accept: [499] }).catch(() => {})
  }
}
