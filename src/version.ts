/**
 * What this rivet is: its version, and for a compiled binary the commit and target it was built
 * from. scripts/build.ts sets RIVET_BUILD_COMMIT and RIVET_BUILD_TARGET with `bun build --define`;
 * run from source they are not defined and rivet reports `dev` and its runtime instead.
 */
import { runtimeName } from './runtime/process.ts'

/** The rivet version, printed by `rivet --version` and recorded in every manifest. */
export const VERSION = '0.1.0'

declare const RIVET_BUILD_COMMIT: string
declare const RIVET_BUILD_TARGET: string

/** Where this rivet came from, as `rivet version --json` prints it. */
export interface BuildInfo {
  rivet_version: string
  /** The short commit a binary was built from; `dev` when run from source. */
  commit: string
  /** The Bun target a binary was compiled for (e.g. bun-linux-x64-musl); null from source. */
  target: string | null
  /** The runtime executing rivet, e.g. `bun 1.4.5` (a binary embeds Bun). */
  runtime: string
}

/** This process's build information. */
export function buildInfo(): BuildInfo {
  return {
    rivet_version: VERSION,
    commit: typeof RIVET_BUILD_COMMIT === 'string' ? RIVET_BUILD_COMMIT : 'dev',
    target: typeof RIVET_BUILD_TARGET === 'string' ? RIVET_BUILD_TARGET : null,
    runtime: runtimeName(),
  }
}

/** One line for `rivet --version`: `rivet 0.1.0 (abc1234, bun-linux-x64)`, or `(dev, bun 1.4.5)` from source. */
export function versionLine(info: BuildInfo = buildInfo()): string {
  return `rivet ${info.rivet_version} (${info.commit}, ${info.target ?? info.runtime})`
}
