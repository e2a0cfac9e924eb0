/**
 * Turns librdkafka errors into streamfold's coded errors. The native error stays as `cause` (it
 * carries librdkafka's code and flags for whoever debugs); the message names the operation and
 * coordinates only, never record contents.
 */
import { StreamfoldError, TaskMigratedError, type ErrorCoordinates } from '../../../errors'
import { ERR, type NativeError } from './rdkafka'

/** Errors meaning another instance now owns our work: a newer producer with our transactional.id,
 *  or a group generation we no longer belong to. Kafka Streams maps these to TaskMigrated.
 *  REBALANCE_IN_PROGRESS too, not retried: Kafka accepts a commit of the current generation while
 *  a rebalance is being prepared and refuses it only between a new generation's JoinGroup and
 *  SyncGroup, after which the partitions may be another member's. In a revoke callback no retry
 *  can succeed: the rebalance goes on only once the callback has returned. */
const MIGRATED = new Set<number>([
  ERR.FENCED,
  ERR.PRODUCER_FENCED,
  ERR.INVALID_PRODUCER_EPOCH,
  ERR.TRANSACTION_COORDINATOR_FENCED,
  ERR.ILLEGAL_GENERATION,
  ERR.UNKNOWN_MEMBER_ID,
  ERR.REBALANCE_IN_PROGRESS,
  ERR.FENCED_INSTANCE_ID,
])

const TOPIC_MISSING = new Set<number>([ERR.UNKNOWN_TOPIC_OR_PART, ERR.UNKNOWN_TOPIC, ERR.UNKNOWN_PARTITION])

/**
 * Produce errors after which librdkafka has given up on a record because of the record itself
 * (too large, invalid, timestamp out of the topic's range) or its destination (topic or partition
 * missing): retrying cannot help, so the production error handler may drop the record. Not here:
 * retriable errors (librdkafka retries them until message.timeout.ms, then reports MSG_TIMED_OUT,
 * and such a record may have been written), fencing, and authorization or invalid topic names,
 * which Kafka Streams treats as fatal too.
 */
const REFUSED_FOR_GOOD = new Set<number>([
  ERR.MSG_SIZE_TOO_LARGE,
  ERR.RECORD_LIST_TOO_LARGE,
  ERR.INVALID_RECORD,
  ERR.INVALID_TIMESTAMP,
  ERR.UNKNOWN_TOPIC,
  ERR.UNKNOWN_PARTITION,
  ERR.UNKNOWN_TOPIC_OR_PART,
])

export function isRefusedForGood(error: NativeError): boolean {
  return REFUSED_FOR_GOOD.has(error.code)
}

export function isMigrated(error: NativeError): boolean {
  return MIGRATED.has(error.code)
}

export function describeNative(error: NativeError): string {
  return `${error.message} [librdkafka code ${error.code}]`
}

/** BROKER_ERROR, or TOPIC_NOT_FOUND when librdkafka says the topic or partition is unknown. */
export function brokerError(operation: string, error: unknown, where: ErrorCoordinates = {}): StreamfoldError {
  if (error instanceof StreamfoldError) return error
  const native = asNative(error)
  if (native !== undefined && TOPIC_MISSING.has(native.code)) {
    return new StreamfoldError('TOPIC_NOT_FOUND', `${operation}: topic or partition does not exist`, { ...where, cause: error })
  }
  const detail = native === undefined ? String((error as Error | undefined)?.message ?? error) : describeNative(native)
  return new StreamfoldError('BROKER_ERROR', `${operation} failed: ${detail}`, { ...where, cause: error })
}

/** TASK_MIGRATED for fencing and lost group membership, TRANSACTION_FAILED otherwise. */
export function transactionError(operation: string, error: unknown): StreamfoldError {
  if (error instanceof StreamfoldError && error.code !== 'BROKER_ERROR') return error
  const native = asNative(error)
  if (native !== undefined && isMigrated(native)) {
    return new TaskMigratedError(`${operation}: fenced by a newer instance or no longer in the group (${describeNative(native)})`, { cause: error })
  }
  const detail = native === undefined ? String((error as Error | undefined)?.message ?? error) : describeNative(native)
  return new StreamfoldError('TRANSACTION_FAILED', `${operation} failed: ${detail}`, { cause: error })
}

export function asNative(error: unknown): NativeError | undefined {
  return typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'number' ? (error as NativeError) : undefined
}

/** Rejects with BROKER_ERROR if `promise` has not settled after `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number, operation: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StreamfoldError('BROKER_ERROR', `${operation} timed out after ${ms} ms`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Adapts a node-style callback API to a promise. */
export function call<T = unknown>(fn: (cb: (err: NativeError | null | undefined, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    fn((err, value) => (err ? reject(err) : resolve(value as T)))
  })
}
