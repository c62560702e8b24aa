/**
 * `bun run release` for two artifacts, the linux arm64 tar.gz and the Windows zip (one of each
 * archive writer, both cross-compiled): the archives, SHA256SUMS and manifest.json agree and are
 * read back by the system's tar, unzip and sha256sum; and the arm64 binary runs the quickstart
 * under QEMU user-mode emulation with only the C runtime files the Dockerfile's arm64 image lists.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { ReleaseManifest } from '../../scripts/release.ts'
import { VERSION } from '../../src/version.ts'
import { ROOT } from '../helpers/cli.ts'
import { tempDir } from '../helpers/files.ts'
import { assemble, linked, readImage } from './image.ts'
import { expectQuickstartOutput } from './quickstart.ts'

const out = tempDir('rivet-release-')
const unpacked = tempDir('rivet-release-unpacked-')
const arm64 = join(unpacked, 'linux-arm64', 'rivet')

function sh(command: string, args: string[], options: { cwd?: string } = {}) {
  const result = spawnSync(command, args, { encoding: 'utf8', cwd: options.cwd ?? ROOT })
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${result.stderr}`)
  return result.stdout
}

beforeAll(() => {
  sh(process.execPath, ['scripts/release.ts', '--only', 'linux-arm64,windows-x64', '--out', out])
  mkdirSync(join(unpacked, 'linux-arm64'))
  sh('tar', ['-xzf', join(out, `rivet-${VERSION}-linux-arm64.tar.gz`), '-C', join(unpacked, 'linux-arm64')])
})

// A quarter of a gigabyte per run: not left behind in /tmp.
afterAll(() => {
  for (const dir of [out, unpacked]) rmSync(dir, { recursive: true, force: true })
})

describe('bun run release', () => {
  test('manifest.json and SHA256SUMS describe each archive; sha256sum agrees', () => {
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ReleaseManifest
    expect(manifest.version).toBe(VERSION)
    expect(manifest.commit).toMatch(/^[0-9a-f]{7,}(-dirty)?$/)
    expect(manifest.artifacts.map((a) => [a.file, a.platform, a.target])).toEqual([
      [`rivet-${VERSION}-linux-arm64.tar.gz`, 'linux-arm64', 'bun-linux-arm64'],
      [`rivet-${VERSION}-windows-x64.zip`, 'windows-x64', 'bun-windows-x64'],
    ])
    for (const artifact of manifest.artifacts) {
      const bytes = readFileSync(join(out, artifact.file))
      expect(artifact.size).toBe(bytes.length)
      expect(artifact.sha256).toBe(createHash('sha256').update(bytes).digest('hex'))
    }
    expect(readFileSync(join(out, 'SHA256SUMS'), 'utf8')).toBe(
      manifest.artifacts.map((a) => `${a.sha256}  ${a.file}\n`).join(''),
    )
    expect(sh('sha256sum', ['-c', 'SHA256SUMS'], { cwd: out })).toBe(
      manifest.artifacts.map((a) => `${a.file}: OK\n`).join(''),
    )
  })

  test('the tar.gz holds one executable aarch64 ELF, the zip one x64 PE, as tar and unzip read them', () => {
    expect(sh('tar', ['-tvzf', join(out, `rivet-${VERSION}-linux-arm64.tar.gz`)])).toMatch(
      /^-rwxr-xr-x 0\/0 +\d{8,} \d{4}-\d\d-\d\d \d\d:\d\d rivet\n$/,
    )
    const elf = readFileSync(arm64)
    expect([...elf.subarray(0, 4)]).toEqual([0x7f, 0x45, 0x4c, 0x46])
    expect(elf.readUInt16LE(18)).toBe(183) // e_machine: EM_AARCH64

    const zip = join(out, `rivet-${VERSION}-windows-x64.zip`)
    expect(sh('unzip', ['-Z1', zip])).toBe('rivet.exe\n')
    expect(sh('unzip', ['-Z', zip])).toMatch(/^-rwxr-xr-x .* unx .* rivet\.exe$/m)
    // unzip checks each member's CRC-32 as it extracts, and fails on a mismatch.
    sh('unzip', ['-q', zip, '-d', join(unpacked, 'windows-x64')])
    const exe = readFileSync(join(unpacked, 'windows-x64', 'rivet.exe'))
    expect(exe.subarray(0, 2).toString()).toBe('MZ')
    const pe = exe.readUInt32LE(0x3c)
    expect(exe.subarray(pe, pe + 4).toString('latin1')).toBe('PE\0\0')
    expect(exe.readUInt16LE(pe + 4)).toBe(0x8664) // IMAGE_FILE_MACHINE_AMD64
  })
})

describe('the linux arm64 binary under QEMU', () => {
  // The arm64 image's C runtime as the Dockerfile lists it, taken from Debian's arm64 cross
  // runtime (the same glibc 2.36 as bookworm's arm64 packages): QEMU finds the interpreter and
  // libraries only there, so a file missing from the list fails the run.
  const image = readImage('arm64')
  const sysroot = tempDir('rivet-arm64-root-')
  const qemu = (args: string[], cwd = ROOT) =>
    spawnSync('qemu-aarch64-static', ['-L', sysroot, arm64, ...args], { cwd, encoding: 'utf8' })

  beforeAll(() => {
    const libs = { ...image, files: image.files.filter((f) => f.path.startsWith('/lib')) }
    assemble(libs, sysroot, (file) => join('/usr/aarch64-linux-gnu/lib', file.source.split('/').at(-1)!))
  })

  test('links only what the arm64 image holds', () => {
    const { interpreter, needed } = linked(arm64)
    const libs = image.files.filter((f) => f.path.startsWith('/lib')).map((f) => f.path)
    expect(libs).toContain(interpreter)
    expect(needed.filter((n) => !libs.some((l) => l.endsWith(`/${n}`)))).toEqual([])
  })

  test('--version and version --json name the commit and bun-linux-arm64', () => {
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ReleaseManifest
    const text = qemu(['--version'])
    expect(text.stdout).toBe(`rivet ${VERSION} (${manifest.commit}, bun-linux-arm64)\n`)
    expect(JSON.parse(qemu(['version', '--json']).stdout)).toEqual({
      rivet_version: VERSION,
      commit: manifest.commit,
      target: 'bun-linux-arm64',
      runtime: expect.stringMatching(/^bun 1\.\d+\.\d+$/),
    })
  })

  test('runs the quickstart: every row of the three exports matches the source', async () => {
    const dir = tempDir()
    cpSync(join(ROOT, 'examples'), join(dir, 'examples'), { recursive: true })
    const run = qemu(['run', '-c', 'examples/quickstart.yaml', '--json'], dir)
    expect(run.stderr).not.toContain('"level":"error"')
    expect(run.status).toBe(0)
    const doc = JSON.parse(run.stdout)
    expect(doc.exports.map((e: { name: string; rows: number }) => [e.name, e.rows])).toEqual([
      ['customers', 200],
      ['products', 50],
      ['orders', 2000],
    ])
    await expectQuickstartOutput(join(dir, 'out'))
  })
})
