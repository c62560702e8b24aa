/**
 * Builds the self-contained binary: `bun run build` writes dist/rivet for this machine.
 * Other targets by flag: `bun scripts/build.ts --target=bun-linux-arm64 --outfile dist/rivet-arm64`.
 *
 * `--bytecode` ships precompiled bytecode: the bundle (drivers, zod, YAML, Parquet) otherwise
 * costs ~90 ms of parsing at every start (`rivet --version`: 116 ms -> 52 ms measured here).
 */
import { spawnSync } from 'node:child_process'

const extra = process.argv.slice(2)
const outfile = extra.includes('--outfile') ? [] : ['--outfile', 'dist/rivet']
const result = spawnSync(
  process.execPath,
  ['build', '--compile', '--minify', '--bytecode', '--format=esm', 'src/cli/bin.ts', ...outfile, ...extra],
  { stdio: 'inherit' },
)
process.exit(result.status ?? 1)
