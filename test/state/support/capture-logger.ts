import type { Logger, LogLevel } from '../../../src/logger'

export interface LogLine {
  readonly level: LogLevel
  readonly obj: object
  readonly msg: string | undefined
}

/** A Logger that records lines (children share the record) for assertions. */
export function captureLogger(lines: LogLine[] = []): Logger & { readonly lines: LogLine[] } {
  const at =
    (level: LogLevel) =>
    (obj: object, msg?: string): void => {
      lines.push({ level, obj, msg })
    }
  return {
    lines,
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    child: () => captureLogger(lines),
    isLevelEnabled: () => true,
  }
}
