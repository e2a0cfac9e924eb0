import { isStreamfoldError } from '../../errors'

/**
 * An error as the app logs it: our own errors with code and message (which never quote records),
 * anything else with its name and message, and never the `cause` chain, which pino would print in
 * full and which may hold a user's error whose message quotes a record.
 */
export function loggableError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error }
  const base = { type: error.name, message: error.message, stack: error.stack?.split('\n').slice(1, 6).join('\n') }
  return isStreamfoldError(error) ? { ...base, code: error.code } : base
}
