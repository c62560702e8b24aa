/** `rivet help [command]`: what each command does and takes. */
import type { Command } from './command.ts'

/** The overview printed by `rivet help` and `rivet -h`. */
export function overview(commands: Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length))
  return [
    'rivet: export database tables and queries to Parquet or CSV',
    '',
    'Usage: rivet <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global options:',
    '  --log-level error|warn|info|debug   (or RIVET_LOG_LEVEL)',
    '  --log-format text|json              default: text on a terminal, json otherwise',
    '  --json                              print the result as one JSON document on stdout',
    '  -h, --help                          help for a command',
    '  --version                           print the version',
    '',
    "Run `rivet help <command>` for a command's options.",
  ].join('\n')
}

/** Help for one command. */
export function commandHelp(command: Command): string {
  const options = Object.entries(command.options).map(([name, o]) =>
    `  ${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ' VALUE' : ''}${
      o.multiple ? ' (repeatable)' : ''
    }`
  )
  return [
    `rivet ${command.name}: ${command.summary}`,
    '',
    `Usage: ${command.usage}`,
    '',
    'Options:',
    ...options,
  ].join(
    '\n',
  )
}
