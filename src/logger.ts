/**
 * The logging port. pino is imported here and nowhere else; the rest of the code takes a `Logger`
 * and creates child loggers once per app, task and store (never per record). Log lines carry
 * coordinates and counts, never record keys or values.
 */
import pino from 'pino'
import PinoPretty from 'pino-pretty'

export interface Logger {
  trace(obj: object, msg?: string): void
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
  fatal(obj: object, msg?: string): void
  child(bindings: Record<string, unknown>): Logger
  isLevelEnabled(level: LogLevel): boolean
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** `json`: one JSON object per line (for log shippers). `pretty`: coloured, human-readable lines. */
export const LOG_FORMATS = ['json', 'pretty'] as const
export type LogFormat = (typeof LOG_FORMATS)[number]

export interface LoggerOptions {
  readonly level?: LogLevel
  readonly name?: string
  /** Where lines go; defaults to stdout. */
  readonly destination?: NodeJS.WritableStream
  /** Default `json`. `prettyOnTty` picks `pretty` when the destination is a terminal. */
  readonly format?: LogFormat | 'prettyOnTty'
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = { level: options.level ?? 'info', name: options.name ?? 'streamfold' }
  const destination = options.destination ?? process.stdout
  if (resolveFormat(options.format, destination) === 'pretty') {
    const tty = (destination as { isTTY?: boolean }).isTTY === true
    // sync: lines written before a fast process.exit() (second signal, fatal error) are not lost.
    return pino(base, PinoPretty({ destination, sync: true, colorize: tty, singleLine: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }))
  }
  return options.destination === undefined ? pino(base) : pino(base, options.destination)
}

function resolveFormat(format: LoggerOptions['format'], destination: NodeJS.WritableStream): LogFormat {
  if (format === 'prettyOnTty') return (destination as { isTTY?: boolean }).isTTY === true ? 'pretty' : 'json'
  return format ?? 'json'
}

/** A logger that drops everything: the default for libraries used inside tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
