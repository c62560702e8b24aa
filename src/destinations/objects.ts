/**
 * Reading back from object stores, the part S3, GCS and Azure share once their own request has
 * been made: paging through a listing under the export root, and streaming an object's body so
 * a failure mid-body still becomes the store's exit code rather than an internal error.
 */
import type { RivetError } from '../errors.ts'
import type { ObjectInfo } from './destination.ts'

/** One object of a listing page: its full name, size and last write. */
export interface Listed {
  name: string
  size: number
  modified: Date
}

/** One page of a listing: the objects, and the token of the next page if there is one. */
export interface ListPage {
  objects: Listed[]
  next?: string
}

/** The full name prefix of `dir` (a directory of the export root), ending in `/` unless empty. */
export function listPrefix(root: string, dir: string): string {
  const full = [root, dir.replace(/^\/+|\/+$/g, '')].filter(Boolean).join('/')
  return full ? `${full}/` : ''
}

/**
 * Every object under `dir` of the export `root` with its size and last write, by path relative
 * to the root, sorted. `page` fetches one page of objects starting with a prefix, from a
 * continuation token.
 */
export async function listUnder(
  root: string,
  dir: string,
  page: (prefix: string, token: string | undefined) => Promise<ListPage>,
): Promise<ObjectInfo[]> {
  const prefix = listPrefix(root, dir)
  const rootPrefix = root ? `${root}/` : ''
  const out: ObjectInfo[] = []
  let token: string | undefined
  do {
    const { objects, next } = await page(prefix, token)
    for (const { name, size, modified } of objects) {
      out.push({ path: name.slice(rootPrefix.length), size, modified })
    }
    token = next
  } while (token)
  return out.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
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
