import { redact } from './redact.ts'
import { stderr } from '../runtime/io.ts'

/** Log levels, least to most verbose. */
export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number]
/** `text` for people, `json` (one object per line) for machines. */
export type LogFormat = 'text' | 'json'

/** Structured fields attached to a log line. */
export type LogFields = Record<string, string | number | boolean | null | undefined>

/** Writes redacted log lines to stderr. */
export class Logger {
  constructor(
    readonly level: LogLevel = 'info',
    readonly format: LogFormat = 'text',
    private readonly write: (line: string) => void = (line) => stderr.write(line),
  ) {}

  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields)
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields)
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields)
  }
  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields)
  }

  /** Whether a line at `level` would be written. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) <= LOG_LEVELS.indexOf(this.level)
  }

  private log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (!this.enabled(level)) return
    const time = new Date().toISOString()
    let line: string
    if (this.format === 'json') {
      line = JSON.stringify({ time, level, msg: message, ...fields })
    } else {
      const extra = Object.entries(fields)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : v}`)
        .join(' ')
      line = `${time} ${level.toUpperCase().padEnd(5)} ${message}${extra ? ' ' + extra : ''}`
    }
    this.write(redact(line) + '\n')
  }
}
