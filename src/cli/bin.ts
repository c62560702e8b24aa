/**
 * The compiled binary's entry: only the CLI, without mod.ts's library exports, so a quick
 * command like `--version` does not load the config schema, YAML parser or drivers.
 */
import { args, exit } from '../runtime/process.ts'
import { main } from './main.ts'

exit(await main(args()))
