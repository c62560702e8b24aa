/**
 * The CLI: picks the command, parses its options, sets up logging and signals, runs it, and
 * turns the outcome into output and an exit code. Commands load lazily so `--version` and
 * `help` start fast.
 */
import { asRivetError, configError, Exit, interruptedError } from '../errors.ts'
import { Logger } from '../log/logger.ts'
import { redact } from '../log/redact.ts'
import { stderr, stdout } from '../runtime/io.ts'
import { onInterrupt } from '../runtime/process.ts'
import { versionLine } from '../version.ts'
import { logSettings, parse } from './args.ts'
import type { Command } from './command.ts'
import { commandHelp, overview } from './help.ts'
import { closest } from '../config/suggest.ts'

/** Every command, in the order `rivet help` lists them (also read by scripts/docs.ts). */
export async function commands(): Promise<Command[]> {
  const [
    { runCommand },
    { checkCommand },
    { doctorCommand },
    { initCommand },
    { schemaCommand },
    { completionsCommand },
    { validateCommand },
    { historyCommand },
    { stateCommand },
    { versionCommand },
    { gcCommand },
    { cdcCommand },
  ] = await Promise.all([
    import('./run.ts'),
    import('./check.ts'),
    import('./doctor.ts'),
    import('./init.ts'),
    import('./schema.ts'),
    import('./completions.ts'),
    import('./validate.ts'),
    import('./history.ts'),
    import('./state.ts'),
    import('./version.ts'),
    import('./gc.ts'),
    import('./cdc.ts'),
  ])
  const all: Command[] = [
    runCommand,
    checkCommand,
    doctorCommand,
    validateCommand,
    historyCommand,
    stateCommand,
    gcCommand,
    cdcCommand,
    initCommand,
    schemaCommand,
    versionCommand,
  ]
  all.push(completionsCommand(() => all))
  return all
}

function printJson(document: unknown): void {
  stdout.write(redact(JSON.stringify(document, null, 2)) + '\n')
}

/** Runs the CLI with `argv` (without the program name); resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv
  // The flag skips loading the commands; `rivet version` is a command, for --json and help.
  if (name === '--version' || name === '-V') {
    stdout.write(versionLine() + '\n')
    return Exit.ok
  }
  const all = await commands()
  if (name === undefined || name === 'help' || name === '-h' || name === '--help') {
    const topic = name === 'help' ? all.find((c) => c.name === rest[0]) : undefined
    stdout.write((topic ? commandHelp(topic) : overview(all)) + '\n')
    return Exit.ok
  }

  // Until the command's own flags are parsed, log as they would most likely ask.
  let logger = new Logger('info', stderr.isTTY ? 'text' : 'json')
  let json = argv.includes('--json')
  const controller = new AbortController()
  const removeInterrupt = onInterrupt((signal) => controller.abort(interruptedError(signal)))
  try {
    const command = all.find((c) => c.name === name)
    if (!command) {
      const guess = closest(name, all.map((c) => c.name))
      throw configError(
        `unknown command "${name}"${guess ? `; did you mean "${guess}"?` : ''}; see rivet help`,
        'USAGE',
      )
    }
    const { values, positionals } = parse(command.name, rest, command.options)
    if (values.help) {
      stdout.write(commandHelp(command) + '\n')
      return Exit.ok
    }
    const settings = logSettings(values)
    logger = new Logger(settings.level, settings.format)
    json = Boolean(values.json)
    const result = await command.run({ values, positionals, logger, json, signal: controller.signal })
    if (json && result.document) printJson(result.document)
    else if (result.text) stdout.write(redact(result.text) + '\n')
    return Exit.ok
  } catch (thrown) {
    const error = asRivetError(thrown)
    if (error.report && !json) stdout.write(redact(error.report) + '\n')
    logger.error(error.message, { code: error.code, exit: error.exit })
    if (error.exit === Exit.internal && error.cause instanceof Error && error.cause.stack) {
      logger.debug(error.cause.stack)
    }
    if (json) {
      printJson({ ...error.document, error: { code: error.code, exit: error.exit, message: error.message } })
    }
    return error.exit
  } finally {
    removeInterrupt()
  }
}
