/**
 * Builds the self-contained binary: `bun run build` writes dist/rivet for this machine.
 * Other targets by flag: `bun scripts/build.ts --target=bun-linux-arm64 --outfile dist/rivet-arm64`.
 *
 * `--bytecode` ships precompiled bytecode: the bundle (drivers, zod, YAML, Parquet) otherwise
 * costs ~90 ms of parsing at every start (`rivet --version`: 116 ms -> 52 ms measured here).
 * The commit and target are compiled in (`--define`) for `rivet --version`. A target other than
 * this machine's is cross-compiled: Bun fetches that target's runtime from the npm registry
 * (@oven/bun-<os>-<arch>) once and caches it in ~/.bun/install/cache.
 */
import { spawnSync } from 'node:child_process'

/** The Bun target of this machine, as `--target` names it. */
export function hostTarget(): string {
  const os = process.platform === 'win32' ? 'windows' : process.platform
  return `bun-${os}-${process.arch}`
}

/**
 * The short commit of the checkout, `-dirty` when files differ from it; RIVET_COMMIT when set (a
 * container build has no .git); `unknown` without either.
 */
export function commitId(): string {
  if (process.env.RIVET_COMMIT) return process.env.RIVET_COMMIT
  const head = spawnSync('git', ['rev-parse', '--short=7', 'HEAD'], { encoding: 'utf8' })
  if (head.status !== 0) return 'unknown'
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' })
  return head.stdout.trim() + (dirty.stdout.trim() ? '-dirty' : '')
}

/** Compiles the binary for `target` to `outfile`; throws when bun build fails. */
export function build(target: string, outfile: string, commit = commitId()): void {
  const result = spawnSync(process.execPath, [
    'build',
    '--compile',
    '--minify',
    '--bytecode',
    '--format=esm',
    `--target=${target}`,
    '--define',
    `RIVET_BUILD_COMMIT=${JSON.stringify(commit)}`,
    '--define',
    `RIVET_BUILD_TARGET=${JSON.stringify(target)}`,
    'src/cli/bin.ts',
    '--outfile',
    outfile,
  ], { stdio: ['ignore', 'inherit', 'inherit'] })
  if (result.status !== 0) throw new Error(`bun build --target=${target} failed (exit ${result.status})`)
}

if (import.meta.main) {
  const argv = process.argv.slice(2)
  const flag = (name: string) => {
    const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`))
    if (i < 0) return undefined
    return argv[i].includes('=') ? argv[i].slice(name.length + 1) : argv[i + 1]
  }
  build(flag('--target') ?? hostTarget(), flag('--outfile') ?? 'dist/rivet')
}
