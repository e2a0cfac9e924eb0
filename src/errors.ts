/**
 * One root error class for everything streamfold throws on purpose. Every code is listed in
 * docs/errors.md with its meaning and what to do about it. Messages name coordinates (task, node,
 * topic, partition, offset), never record keys or values.
 */
export const ERROR_CODES = [
  // topology (build time)
  'TOPOLOGY_EMPTY',
  'TOPOLOGY_UNKNOWN_PARENT',
  'TOPOLOGY_DUPLICATE_NAME',
  'TOPOLOGY_DUPLICATE_STORE',
  'TOPOLOGY_DUPLICATE_TOPIC',
  'TOPOLOGY_UNCONNECTED_STORE',
  'TOPOLOGY_UNKNOWN_STORE',
  'TOPOLOGY_NO_SOURCE_PATH',
  'TOPOLOGY_CYCLE',
  'TOPOLOGY_INVALID',
  // serdes and record handling (run time)
  'SERIALIZATION_FAILED',
  'DESERIALIZATION_FAILED',
  'INVALID_TIMESTAMP',
  'PROCESSING_FAILED',
  'UNKNOWN_CHILD',
  'UNKNOWN_STATE_STORE',
  'PRODUCTION_FAILED',
  'SUPPRESS_BUFFER_FULL',
  // state
  'STORE_CLOSED',
  'STATE_DIR_LOCKED',
  'STATE_CORRUPTED',
  'RESTORE_FAILED',
  // runtime
  'CONFIG_INVALID',
  'BROKER_ERROR',
  'TOPIC_NOT_FOUND',
  'PARTITION_MISMATCH',
  'TRANSACTION_FAILED',
  'TASK_MIGRATED',
  'TASK_CORRUPTED',
  'ILLEGAL_STATE',
  // interactive queries (app.store)
  'STREAMS_NOT_STARTED',
  'STATE_STORE_NOT_AVAILABLE',
  'STATE_STORE_MIGRATED',
  'STORE_TYPE_MISMATCH',
  // test driver
  'NO_OUTPUT_RECORD',
] as const

export type ErrorCode = (typeof ERROR_CODES)[number]

/** Where an error happened. Every field is optional: fill in what is known. */
export interface ErrorCoordinates {
  readonly taskId?: string
  readonly node?: string
  readonly store?: string
  readonly topic?: string
  readonly partition?: number
  readonly offset?: number
}

export interface StreamfoldErrorOptions extends ErrorCoordinates {
  readonly cause?: unknown
}

export class StreamfoldError extends Error {
  readonly code: ErrorCode
  readonly coordinates: ErrorCoordinates
  /** The message without the coordinates suffix, for wrapping into another error's message. */
  readonly detail: string

  constructor(code: ErrorCode, message: string, options: StreamfoldErrorOptions = {}) {
    const { cause, ...coordinates } = options
    super(`${message}${describeCoordinates(coordinates)}`, cause === undefined ? undefined : { cause })
    this.name = new.target.name
    this.code = code
    this.coordinates = coordinates
    this.detail = message
  }
}

/** A topology that cannot run. Thrown by build(), never at run time. */
export class TopologyError extends StreamfoldError {}

/** A record could not be processed: serde failure, user code threw, bad timestamp. */
export class ProcessingError extends StreamfoldError {}

/** The task no longer belongs to this instance (rebalance, fenced producer): close it, do not commit. */
export class TaskMigratedError extends StreamfoldError {
  constructor(message: string, options: StreamfoldErrorOptions = {}) {
    super('TASK_MIGRATED', message, options)
  }
}

/** The task's local state cannot be trusted: wipe it and restore from the changelog. */
export class TaskCorruptedError extends StreamfoldError {
  constructor(message: string, options: StreamfoldErrorOptions = {}) {
    super('TASK_CORRUPTED', message, options)
  }
}

export function isStreamfoldError(error: unknown): error is StreamfoldError {
  return error instanceof StreamfoldError
}

function describeCoordinates(c: ErrorCoordinates): string {
  const parts: string[] = []
  if (c.taskId !== undefined) parts.push(`task ${c.taskId}`)
  if (c.node !== undefined) parts.push(`node ${c.node}`)
  if (c.store !== undefined) parts.push(`store ${c.store}`)
  if (c.topic !== undefined) parts.push(`topic ${c.topic}`)
  if (c.partition !== undefined) parts.push(`partition ${c.partition}`)
  if (c.offset !== undefined) parts.push(`offset ${c.offset}`)
  return parts.length === 0 ? '' : ` (${parts.join(', ')})`
}
