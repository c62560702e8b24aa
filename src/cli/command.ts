/** The shape every command file exports. */
import type { Logger } from '../log/logger.ts'
import type { Options, Values } from './args.ts'

/** What a command gets when it runs. */
export interface CommandContext {
  values: Values
  positionals: string[]
  logger: Logger
  /** `--json`: the command returns its result document instead of printing text. */
  json: boolean
  /** Aborted on SIGINT/SIGTERM with an interrupted error as the reason. */
  signal: AbortSignal
}

/** A command's result: the `--json` document, and text for people. */
export interface CommandResult {
  document?: Record<string, unknown>
  text?: string
}

/** A CLI command. */
export interface Command {
  name: string
  summary: string
  usage: string
  options: Options
  run(ctx: CommandContext): Promise<CommandResult>
}
