/** Temporary directories and config files for tests. */
import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'

/** A fresh temporary directory. */
export function tempDir(prefix = 'rivet-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/** Writes `rivet.yaml` (or `name`) into `dir` and returns its path. */
export function writeConfig(dir: string, yaml: string, name = 'rivet.yaml'): string {
  const path = join(dir, name)
  writeFileSync(path, yaml)
  return path
}

/** Every file under `dir`, as paths relative to it, sorted. Hidden temp files included. */
export function listFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    let entries: string[]
    try {
      entries = readdirSync(d)
    } catch {
      return
    }
    for (const name of entries) {
      const path = join(d, name)
      if (statSync(path).isDirectory()) walk(path)
      else out.push(relative(dir, path))
    }
  }
  walk(dir)
  return out.sort()
}
