import { createLogger, type Logger } from '../../logger'
import type { CommandSpec, ParsedArgs } from './arg-parser'

/** The process streams a command uses, injectable for tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number }
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number }
  readonly stdin: NodeJS.ReadableStream
  readonly env: Readonly<Record<string, string | undefined>>
}

export interface Command {
  readonly spec: CommandSpec
  /** Resolves to the exit code. Throws StreamfoldErrors; the dispatcher maps them to codes. */
  execute(args: ParsedArgs, io: CliIo): Promise<number>
}

/** Warnings and errors of the tools (produce, consume, ...) go to stderr; stdout carries data. */
export function toolLogger(io: CliIo): Logger {
  return createLogger({ level: 'warn', destination: io.stderr, format: 'prettyOnTty' })
}

/** Resolves on the first SIGINT/SIGTERM (the handlers are removed by `dispose`). */
export function onStopSignal(handler: (signal: NodeJS.Signals) => void): { dispose(): void } {
  const signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM']
  for (const s of signals) process.on(s, handler)
  return { dispose: () => signals.forEach((s) => process.off(s, handler)) }
}
