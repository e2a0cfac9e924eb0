/** A Logger whose JSON lines are kept in memory, to check what was logged (and what never is). */
import { Writable } from 'node:stream'
import { createLogger, type Logger, type LogLevel } from '../../../src/logger'

export interface CapturedLogs {
  readonly logger: Logger
  /** Parsed lines, in order. */
  readonly lines: Array<Record<string, unknown>>
  /** Everything written, raw: for "never contains" checks. */
  text(): string
}

export function captureLogs(level: LogLevel = 'trace'): CapturedLogs {
  const lines: Array<Record<string, unknown>> = []
  const raw: string[] = []
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8')
      raw.push(text)
      for (const line of text.split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  return { logger: createLogger({ level, destination }), lines, text: () => raw.join('') }
}
