/**
 * Local files. Each object is written to a hidden temporary name in its final directory,
 * fsynced, then renamed into place (and the directory fsynced), so a file appears whole or not
 * at all, even across a crash.
 */
import type { Dirent } from 'node:fs'
import { createHash } from 'node:crypto'
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import { hostname } from 'node:os'
import { basename, dirname, join, posix } from 'node:path'
import process from 'node:process'
import { destinationError, RivetError } from '../errors.ts'
import type { Destination, IncompleteUpload, ObjectInfo, Versioned } from './destination.ts'

function randomSuffix(): string {
  return crypto.getRandomValues(new Uint32Array(1))[0].toString(16)
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomSuffix()}.tmp`)
}

/** A file {@link tempPathFor} names: a write in progress or interrupted, not an object yet. */
const TEMP_FILE = /^\..*\.[0-9a-f]+\.tmp$/

/** Bytes per read when streaming a file. */
const READ_CHUNK = 1024 * 1024

function missing(error: unknown): boolean {
  return (error as { code?: string }).code === 'ENOENT'
}

function fsError(error: unknown, action: string, path: string): RivetError {
  const code = (error as { code?: string }).code ?? String(error)
  const hint = code === 'EACCES' || code === 'EPERM'
    ? 'check the directory permissions'
    : code === 'ENOSPC'
    ? 'free some disk space'
    : 'check the destination path'
  return destinationError(`cannot ${action} ${path}: ${code}; ${hint}`, 'DESTINATION_WRITE', error)
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle.close()
  }
}

/** A lock older than this was left by a process that died holding it (perhaps on another host). */
const STALE_LOCK_MS = 30_000
/** A lock with no owner written in it yet is abandoned after this long. */
const UNOWNED_LOCK_MS = 2_000

function contentVersion(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 32)
}

/** Whether a lock file was left by a process of this host that is gone (killed while holding it). */
async function abandoned(lock: string): Promise<boolean> {
  const [owner, age] = await Promise.all([
    readFile(lock, 'utf8').then((text) => text.split(' '), () => []),
    stat(lock).then((s) => Date.now() - s.mtimeMs, () => 0),
  ])
  if (age > STALE_LOCK_MS) return true
  // The owner is written right after the lock is created: a lock still without one after a
  // moment was left by a process killed in between (seen in CI: a SIGKILL mid-run).
  if (!Number(owner[0])) return age > UNOWNED_LOCK_MS
  if (owner[1] !== hostname()) return false
  try {
    process.kill(Number(owner[0]), 0)
    return false
  } catch (error) {
    return (error as { code?: string }).code === 'ESRCH'
  }
}

/**
 * Runs `work` holding `<file>.lock`, created exclusively: the compare and the write of a
 * conditional put happen with no other writer in between, across processes.
 */
async function withLock<T>(file: string, work: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`
  await mkdir(dirname(file), { recursive: true })
  for (let attempt = 0;; attempt++) {
    try {
      const handle = await open(lock, 'wx', 0o600)
      await handle.writeFile(`${process.pid} ${hostname()}`)
      await handle.close()
      break
    } catch (error) {
      if ((error as { code?: string }).code !== 'EEXIST') throw error
      if (await abandoned(lock)) await unlink(lock).catch(() => {})
      else if (attempt > 400) throw new Error(`${lock} is held by another process`)
      else await new Promise((resolve) => setTimeout(resolve, 25))
    }
  }
  try {
    return await work()
  } finally {
    await unlink(lock).catch(() => {})
  }
}

/** A local directory as a destination. */
export class LocalDestination implements Destination {
  readonly singleStream = false

  constructor(readonly location: string) {}

  credentials(): Promise<undefined> {
    return Promise.resolve(undefined)
  }

  async check(): Promise<void> {
    try {
      await mkdir(this.location, { recursive: true })
    } catch (error) {
      throw fsError(error, 'create', this.location)
    }
  }

  create(path: string): WritableStream<Uint8Array> {
    return this.createFile(path, 0o644)
  }

  private createFile(path: string, mode: number): WritableStream<Uint8Array> {
    const finalPath = join(this.location, path)
    const tempPath = tempPathFor(finalPath)
    let handle: FileHandle | undefined
    const discard = async () => {
      await handle?.close().catch(() => {})
      handle = undefined
      await unlink(tempPath).catch(() => {})
    }
    return new WritableStream<Uint8Array>({
      async start() {
        try {
          await mkdir(dirname(finalPath), { recursive: true })
          handle = await open(tempPath, 'wx', mode)
        } catch (error) {
          throw fsError(error, 'create', finalPath)
        }
      },
      async write(chunk) {
        try {
          let offset = 0
          while (offset < chunk.length) {
            const { bytesWritten } = await handle!.write(chunk, offset, chunk.length - offset)
            offset += bytesWritten
          }
        } catch (error) {
          await discard()
          throw fsError(error, 'write', finalPath)
        }
      },
      async close() {
        try {
          await handle!.sync()
          await handle!.close()
          handle = undefined
          await rename(tempPath, finalPath)
          await syncDirectory(dirname(finalPath))
        } catch (error) {
          await discard()
          throw fsError(error, 'finish', finalPath)
        }
      },
      abort: discard,
    })
  }

  async put(path: string, bytes: Uint8Array): Promise<void> {
    const writer = this.create(path).getWriter()
    await writer.write(bytes)
    await writer.close()
  }

  async readVersioned(path: string): Promise<Versioned | undefined> {
    const file = join(this.location, path)
    try {
      const bytes = new Uint8Array(await readFile(file))
      return { bytes, version: contentVersion(bytes) }
    } catch (error) {
      if (missing(error)) return undefined
      throw fsError(error, 'read', file)
    }
  }

  /** Conditional put under a lock file; the object is private to its owner (mode 0600). */
  async putIfVersion(
    path: string,
    bytes: Uint8Array,
    version: string | undefined,
  ): Promise<string | undefined> {
    const file = join(this.location, path)
    try {
      return await withLock(file, async () => {
        const current = await this.readVersioned(path)
        if (current?.version !== version) return undefined
        const writer = this.createFile(path, 0o600).getWriter()
        await writer.write(bytes)
        await writer.close()
        return contentVersion(bytes)
      })
    } catch (error) {
      if (error instanceof RivetError) throw error
      throw fsError(error, 'write', file)
    }
  }

  async remove(path: string): Promise<void> {
    await unlink(join(this.location, path)).catch((error) => {
      if ((error as { code?: string }).code !== 'ENOENT') {
        throw fsError(error, 'remove', join(this.location, path))
      }
    })
  }

  async list(dir: string): Promise<string[]> {
    return (await this.walk(dir)).filter((f) => !f.temporary).map((f) => f.path)
  }

  async read(path: string): Promise<ReadableStream<Uint8Array> | undefined> {
    const file = join(this.location, path)
    let handle: FileHandle
    try {
      handle = await open(file, 'r')
    } catch (error) {
      if (missing(error)) return undefined
      throw fsError(error, 'read', file)
    }
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          const buffer = new Uint8Array(READ_CHUNK)
          const { bytesRead } = await handle.read(buffer, 0, READ_CHUNK, null)
          if (bytesRead > 0) return controller.enqueue(buffer.subarray(0, bytesRead))
          await handle.close()
          controller.close()
        } catch (error) {
          await handle.close().catch(() => {})
          controller.error(fsError(error, 'read', file))
        }
      },
      cancel: () => handle.close(),
    }, { highWaterMark: 0 })
  }

  /** Every file under `dir`, sorted by path, temporary ones (writes in progress) marked. */
  private async walk(dir: string): Promise<(ObjectInfo & { temporary: boolean })[]> {
    const out: (ObjectInfo & { temporary: boolean })[] = []
    const visit = async (relative: string): Promise<void> => {
      let entries: Dirent[]
      try {
        entries = await readdir(join(this.location, relative), { withFileTypes: true })
      } catch (error) {
        if (missing(error)) return
        throw fsError(error, 'list', join(this.location, relative))
      }
      for (const entry of entries) {
        const path = posix.join(relative, entry.name)
        if (entry.isDirectory()) await visit(path)
        else out.push({ path, size: 0, modified: new Date(0), temporary: TEMP_FILE.test(entry.name) })
      }
    }
    await visit(posix.normalize(dir || '.').replace(/\/$/, ''))
    return out.sort((a, b) => a.path < b.path ? -1 : a.path > b.path ? 1 : 0)
  }

  /** {@link walk} with each file's size and last write, from stat. */
  private async walkStat(dir: string): Promise<(ObjectInfo & { temporary: boolean })[]> {
    const files = await this.walk(dir)
    for (const file of files) {
      const info = await stat(join(this.location, file.path)).catch((error) => {
        if (missing(error)) return undefined
        throw fsError(error, 'list', join(this.location, file.path))
      })
      // Gone between the listing and the stat: renamed into place, or removed.
      if (info) Object.assign(file, { size: info.size, modified: info.mtime })
      else file.temporary = true
    }
    return files
  }

  async listObjects(dir: string): Promise<ObjectInfo[]> {
    return (await this.walkStat(dir)).filter((f) => !f.temporary && f.modified.getTime() > 0).map(
      ({ path, size, modified }) => ({ path, size, modified }),
    )
  }

  /** Temporary files: writes in progress, or left by a process killed while writing. */
  async listIncomplete(dir: string): Promise<IncompleteUpload[]> {
    const files = (await this.walkStat(dir)).filter((f) => f.temporary && f.modified.getTime() > 0)
    return files.map((f) => {
      const name = posix.basename(f.path)
      // `.<name>.<hex>.tmp` in the final object's directory.
      const final = posix.join(posix.dirname(f.path), name.slice(1).replace(/\.[0-9a-f]+\.tmp$/, ''))
      return { path: final, id: f.path, started: f.modified }
    })
  }

  async abortIncomplete(upload: IncompleteUpload): Promise<void> {
    await this.remove(upload.id)
  }
}
