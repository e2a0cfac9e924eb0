import { isStreamfoldError } from '../../errors'

/** The worker's exit statuses; a forced stop (second signal) exits with 128 + the signal number. */
export const EXIT_CODES = { ok: 0, fatal: 1, usage: 2 } as const
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES]

/** Errors that no retry fixes because what was given is wrong: the module, an option, the topics. */
const CONFIGURATION_CODES: ReadonlySet<string> = new Set(['CONFIG_INVALID', 'TOPIC_NOT_FOUND', 'PARTITION_MISMATCH', 'STATE_DIR_LOCKED'])

export function exitCodeFor(error: unknown): ExitCode {
  if (!isStreamfoldError(error)) return EXIT_CODES.fatal
  return CONFIGURATION_CODES.has(error.code) || error.code.startsWith('TOPOLOGY_') ? EXIT_CODES.usage : EXIT_CODES.fatal
}
