/**
 * Reading back from object stores, the part S3, GCS and Azure share once their own request has
 * been made: paging through a listing under the export root, and streaming an object's body so
 * a failure mid-body still becomes the store's exit code rather than an internal error.
 */
import type { RivetError } from '../errors.ts'

/** One page of a listing: full object names, and the token of the next page if there is one. */
export interface ListPage {
  names: string[]
  next?: string
}

/** The full name prefix of `dir` (a directory of the export root), ending in `/` unless empty. */
function listPrefix(root: string, dir: string): string {
  const full = [root, dir.replace(/^\/+|\/+$/g, '')].filter(Boolean).join('/')
  return full ? `${full}/` : ''
}

/**
 * Every object under `dir` of the export `root`, as paths relative to the root, sorted.
 * `page` fetches one page of names starting with a prefix, from a continuation token.
 */
export async function listUnder(
  root: string,
  dir: string,
  page: (prefix: string, token: string | undefined) => Promise<ListPage>,
): Promise<string[]> {
  const prefix = listPrefix(root, dir)
  const rootPrefix = root ? `${root}/` : ''
  const out: string[] = []
  let token: string | undefined
  do {
    const { names, next } = await page(prefix, token)
    for (const name of names) out.push(name.slice(rootPrefix.length))
    token = next
  } while (token)
  return out.sort()
}

/**
 * Opens an object for reading: undefined when `missing` says the failure means "no such
 * object", the store's error otherwise; the body's own failures go through `fail` too.
 */
export async function streamObject(
  open: () => Promise<Pick<Response, 'body'>>,
  missing: (error: unknown) => boolean,
  fail: (error: unknown) => RivetError | Promise<RivetError>,
): Promise<ReadableStream<Uint8Array> | undefined> {
  let body: ReadableStream<Uint8Array> | null
  try {
    body = (await open()).body
  } catch (error) {
    if (missing(error)) return undefined
    throw await fail(error)
  }
  // An empty object may come without a body stream.
  if (!body) return new ReadableStream({ start: (controller) => controller.close() })
  const reader = body.getReader()
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read()
        if (done) controller.close()
        else controller.enqueue(value)
      } catch (error) {
        controller.error(await fail(error))
      }
    },
    cancel: (reason) => reader.cancel(reason),
  }, { highWaterMark: 0 })
}
