/**
 * What the config-reading commands share: loading the config with `-p` and the environment,
 * choosing exports with `-e`, and opening and always closing the source.
 */
import { loadConfig, type LoadedConfig, resolvePath } from '../config/load.ts'
import type { ExportConfig } from '../config/schema.ts'
import { configError } from '../errors.ts'
import { closest } from '../config/suggest.ts'
import { openSource } from '../sources/open.ts'
import type { Source } from '../sources/source.ts'
import { env } from '../runtime/process.ts'
import { params, type Values } from './args.ts'

/** Loads the config named by `-c`. */
export function loadFromArgs(command: string, values: Values): Promise<LoadedConfig> {
  const file = values.config as string | undefined
  if (!file) throw configError(`${command}: -c FILE is required`, 'USAGE')
  const p = params(values)
  return loadConfig(file, (name) => p.get(name) ?? env(name))
}

/** The exports `-e` names (all when none), in config order; an unknown name is a usage error. */
export function selectExports(loaded: LoadedConfig, values: Values): ExportConfig[] {
  const all = loaded.config.exports
  const wanted = (values.export as string[] | undefined) ?? []
  for (const name of wanted) {
    if (!all.some((e) => e.name === name)) {
      const guess = closest(name, all.map((e) => e.name))
      throw configError(
        `-e ${name}: no such export in ${loaded.file}${guess ? `; did you mean "${guess}"?` : ''}`,
        'USAGE',
      )
    }
  }
  return wanted.length ? all.filter((e) => wanted.includes(e.name)) : all
}

/** Opens the config's source, runs `work`, and closes the source whatever happens. */
export async function withSource<T>(loaded: LoadedConfig, work: (source: Source) => Promise<T>): Promise<T> {
  const source = await openSource(loaded.config.source, (p) => resolvePath(loaded, p))
  try {
    return await work(source)
  } finally {
    await source.close()
  }
}
