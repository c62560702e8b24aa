/**
 * `rivet completions bash|zsh|fish`: shell completion scripts, generated from the commands'
 * own option lists so they never drift from what the parser accepts.
 */
import { configError } from '../errors.ts'
import { GLOBAL_OPTIONS, type Options } from './args.ts'
import type { Command } from './command.ts'

/** Every option a command takes, the global ones included. */
function options(command: Command): [string, Options[string]][] {
  return Object.entries({ ...GLOBAL_OPTIONS, ...command.options } as Options)
}

function flags(command: Command): string[] {
  return options(command).flatMap(([name, o]) => [`--${name}`, ...(o.short ? [`-${o.short}`] : [])])
}

function bash(commands: Command[]): string {
  const cases = commands.map((c) => `    ${c.name}) opts="${flags(c).join(' ')}" ;;`).join('\n')
  return `# rivet bash completion: eval "$(rivet completions bash)"
_rivet() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" opts
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${commands.map((c) => c.name).join(' ')} help --version" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
    *) opts="" ;;
  esac
  if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W "$opts" -- "$cur")); else COMPREPLY=($(compgen -f -- "$cur")); fi
}
complete -F _rivet rivet
`
}

function zsh(commands: Command[]): string {
  const cases = commands.map((c) =>
    `    ${c.name}) _arguments ${flags(c).map((f) => `'${f}'`).join(' ')} '*:file:_files' ;;`
  )
  return `#compdef rivet
# rivet zsh completion: rivet completions zsh > "\${fpath[1]}/_rivet"
_rivet() {
  if (( CURRENT == 2 )); then
    _values 'command' ${commands.map((c) => `'${c.name}[${c.summary.replaceAll("'", '')}]'`).join(' ')} 'help'
    return
  fi
  case $words[2] in
${cases.join('\n')}
  esac
}
_rivet "$@"
`
}

function fish(commands: Command[]): string {
  const lines = commands.flatMap((c) => [
    `complete -c rivet -n '__fish_use_subcommand' -a ${c.name} -d '${c.summary.replaceAll("'", '')}'`,
    ...options(c).map(([name, o]) =>
      `complete -c rivet -n '__fish_seen_subcommand_from ${c.name}' -l ${name}${
        o.short ? ` -s ${o.short}` : ''
      }${o.type === 'string' ? ' -r' : ''}`
    ),
  ])
  return `# rivet fish completion: rivet completions fish > ~/.config/fish/completions/rivet.fish\n${
    lines.join('\n')
  }\n`
}

/** The `completions` command, given the other commands to complete. */
export function completionsCommand(commands: () => Command[]): Command {
  return {
    name: 'completions',
    summary: 'print shell completions: bash, zsh or fish',
    usage: 'rivet completions bash|zsh|fish',
    options: {},
    run({ positionals }) {
      const shell = positionals[0]
      const all = commands()
      const script = shell === 'bash'
        ? bash(all)
        : shell === 'zsh'
        ? zsh(all)
        : shell === 'fish'
        ? fish(all)
        : undefined
      if (!script) throw configError(`completions: give a shell: bash, zsh or fish`, 'USAGE')
      return Promise.resolve({ text: script.trimEnd() })
    },
  }
}
