/**
 * `bun run release`: every release artifact from one checkout, into dist/release/:
 *
 *   rivet-<version>-<os>-<arch>.tar.gz   linux, linux-musl, darwin (the binary `rivet`, mode 755)
 *   rivet-<version>-windows-x64.zip      (the binary `rivet.exe`)
 *   SHA256SUMS                           `sha256sum -c` format
 *   manifest.json                        version, commit, and per artifact target, size, sha256
 *
 * <os> is linux (glibc), linux-musl (Alpine and other musl systems), darwin or windows; <arch> is
 * x64 or arm64. Bun cross-compiles every target on any machine: it fetches each target's runtime
 * (@oven/bun-<os>-<arch>, ~50 MB) from the npm registry on first use and caches it in
 * ~/.bun/install/cache. The x64 targets are Bun's default build, which needs AVX2 (Intel Haswell,
 * AMD Excavator and later); for an older CPU build `bun scripts/build.ts --target=bun-linux-x64-baseline`.
 *
 * The archives are written here, not by tar and zip: no tool to install (Windows has neither),
 * no flavour differences, and each entry is dated at the commit's time, so a rebuild of one commit
 * gives the same checksums wherever Bun's output is itself stable (linux: checked; the Windows
 * binary differs from build to build inside Bun's embedded payload).
 *
 * Options: `--only linux-arm64,windows-x64` builds those artifacts alone; `--out <dir>` writes
 * elsewhere.
 */
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { crc32, deflateRawSync, gzipSync } from 'node:zlib'
import { VERSION } from '../src/version.ts'
import { build, commitId } from './build.ts'

/** One artifact: its name in file names and the Bun target that builds it. */
export interface Platform {
  /** `<os>-<arch>` as it appears in the archive name. */
  name: string
  target: string
  archive: 'tar.gz' | 'zip'
}

/** Every artifact a release holds. */
export const PLATFORMS: Platform[] = [
  { name: 'linux-x64', target: 'bun-linux-x64', archive: 'tar.gz' },
  { name: 'linux-arm64', target: 'bun-linux-arm64', archive: 'tar.gz' },
  { name: 'linux-musl-x64', target: 'bun-linux-x64-musl', archive: 'tar.gz' },
  { name: 'linux-musl-arm64', target: 'bun-linux-arm64-musl', archive: 'tar.gz' },
  { name: 'darwin-x64', target: 'bun-darwin-x64', archive: 'tar.gz' },
  { name: 'darwin-arm64', target: 'bun-darwin-arm64', archive: 'tar.gz' },
  { name: 'windows-x64', target: 'bun-windows-x64', archive: 'zip' },
]

/** manifest.json. */
export interface ReleaseManifest {
  version: string
  commit: string
  artifacts: { file: string; platform: string; target: string; size: number; sha256: string }[]
}

/** An archive member: a file name (no directories) and its bytes, made executable. */
interface Member {
  name: string
  data: Uint8Array
}

/** A ustar archive of `members` (mode 755, owner 0), gzipped. */
export function tarGz(members: Member[], mtime: number): Uint8Array {
  const blocks: Uint8Array[] = []
  for (const { name, data } of members) {
    const header = new Uint8Array(512)
    const put = (offset: number, text: string) => header.set(new TextEncoder().encode(text), offset)
    const octal = (offset: number, width: number, value: number) =>
      put(offset, value.toString(8).padStart(width - 1, '0') + '\0')
    put(0, name)
    octal(100, 8, 0o755)
    octal(108, 8, 0)
    octal(116, 8, 0)
    octal(124, 12, data.length)
    octal(136, 12, mtime)
    put(148, ' '.repeat(8)) // the checksum counts its own field as spaces
    put(156, '0')
    put(257, 'ustar\x0000')
    const sum = header.reduce((a, b) => a + b, 0)
    put(148, sum.toString(8).padStart(6, '0') + '\0 ')
    blocks.push(header, data, new Uint8Array((512 - (data.length % 512)) % 512))
  }
  blocks.push(new Uint8Array(1024))
  return gzipSync(Buffer.concat(blocks), { level: 9 })
}

/** A zip of `members`, deflated, marked as Unix files with mode 755. */
export function zip(members: Member[], mtime: number): Uint8Array {
  const date = new Date(mtime * 1000)
  const dosTime = (date.getUTCHours() << 11) | (date.getUTCMinutes() << 5) | (date.getUTCSeconds() >> 1)
  const dosDate = ((date.getUTCFullYear() - 1980) << 9) | ((date.getUTCMonth() + 1) << 5) | date.getUTCDate()
  const locals: Uint8Array[] = []
  const central: Uint8Array[] = []
  let offset = 0
  for (const { name, data } of members) {
    const packed = deflateRawSync(data, { level: 9 })
    const fileName = Buffer.from(name)
    const crc = crc32(data)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(20, 4) // version needed: deflate
    local.writeUInt16LE(0x0800, 6) // UTF-8 names
    local.writeUInt16LE(8, 8) // deflate
    local.writeUInt16LE(dosTime, 10)
    local.writeUInt16LE(dosDate, 12)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(packed.length, 18)
    local.writeUInt32LE(data.length, 22)
    local.writeUInt16LE(fileName.length, 26)
    const entry = Buffer.alloc(46)
    entry.writeUInt32LE(0x02014b50, 0)
    entry.writeUInt16LE((3 << 8) | 20, 4) // made by Unix, so the mode below is read
    local.copy(entry, 6, 4, 30) // the fields both headers share, in the same order
    entry.writeUInt32LE((0o100755 << 16) >>> 0, 38)
    entry.writeUInt32LE(offset, 42)
    central.push(entry, fileName)
    locals.push(local, fileName, packed)
    offset += local.length + fileName.length + packed.length
  }
  const directory = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(members.length, 8)
  end.writeUInt16LE(members.length, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}

/** The commit's time in seconds, the date of every archive entry; now without git. */
function commitTime(): number {
  const result = spawnSync('git', ['log', '-1', '--format=%ct'], { encoding: 'utf8' })
  return Number(result.stdout.trim()) || Math.floor(Date.now() / 1000)
}

/** Builds and packs `platforms` into `out` (emptied first); returns the manifest written. */
export function release(out: string, platforms: Platform[] = PLATFORMS): ReleaseManifest {
  rmSync(out, { recursive: true, force: true })
  mkdirSync(join(out, 'bin'), { recursive: true })
  const commit = commitId()
  const mtime = commitTime()
  const manifest: ReleaseManifest = { version: VERSION, commit, artifacts: [] }
  for (const platform of platforms) {
    const exe = platform.target.includes('windows') ? 'rivet.exe' : 'rivet'
    const binary = join(out, 'bin', `${platform.name}-${exe}`)
    const started = performance.now()
    build(platform.target, binary, commit)
    const members = [{ name: exe, data: readFileSync(binary) }]
    const bytes = platform.archive === 'zip' ? zip(members, mtime) : tarGz(members, mtime)
    const file = `rivet-${VERSION}-${platform.name}.${platform.archive}`
    writeFileSync(join(out, file), bytes)
    const sha256 = createHash('sha256').update(bytes).digest('hex')
    manifest.artifacts.push({
      file,
      platform: platform.name,
      target: platform.target,
      size: bytes.length,
      sha256,
    })
    console.log(`${file}: ${bytes.length} bytes, ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }
  rmSync(join(out, 'bin'), { recursive: true })
  writeFileSync(join(out, 'SHA256SUMS'), manifest.artifacts.map((a) => `${a.sha256}  ${a.file}\n`).join(''))
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n')
  return manifest
}

if (import.meta.main) {
  const argv = process.argv.slice(2)
  const value = (flag: string) => {
    const i = argv.indexOf(flag)
    return i < 0 ? undefined : argv[i + 1]
  }
  const only = value('--only')?.split(',')
  const platforms = only ? PLATFORMS.filter((p) => only.includes(p.name)) : PLATFORMS
  const unknown = only?.filter((name) => !PLATFORMS.some((p) => p.name === name)) ?? []
  if (unknown.length) {
    console.error(`unknown platform ${unknown.join(', ')}; one of ${PLATFORMS.map((p) => p.name).join(', ')}`)
    process.exit(2)
  }
  const started = performance.now()
  release(value('--out') ?? 'dist/release', platforms)
  console.log(
    `released ${platforms.length} artifacts in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  )
}
