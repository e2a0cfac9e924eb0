/**
 * The logging port. pino is imported here and nowhere else; the rest of the code takes a `Logger`
 * and creates child loggers once per app, task and store (never per record). Log lines carry
 * coordinates and counts, never record keys or values.
 */
import pino from 'pino'

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

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent'

export interface LoggerOptions {
  readonly level?: LogLevel
  readonly name?: string
  /** Where JSON lines go; defaults to stdout. */
  readonly destination?: NodeJS.WritableStream
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const base = { level: options.level ?? 'info', name: options.name ?? 'streamfold' }
  return options.destination === undefined ? pino(base) : pino(base, options.destination)
}

/** A logger that drops everything: the default for libraries used inside tests. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
