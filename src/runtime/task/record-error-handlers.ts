import type { ProcessingError } from '../../errors'
import type { BrokerRecord } from '../broker/broker'

/** What to do with a record that failed: go on with the next one, or stop the task. */
export type HandlerResponse = 'continue' | 'fail'

/**
 * Called when a record cannot be deserialized or processed. `continue` means the handler has
 * dealt with it (logged and skipped, or sent to a dead-letter topic) and its offset may be
 * committed; `fail` rethrows the error and nothing past the record is committed.
 */
export interface RecordErrorHandlers {
  deserialization(error: ProcessingError, record: BrokerRecord): HandlerResponse
  processing(error: ProcessingError, record: BrokerRecord | undefined): HandlerResponse
}

/** Kafka Streams' defaults: fail on both. */
export const FAIL_ON_ERRORS: RecordErrorHandlers = {
  deserialization: () => 'fail',
  processing: () => 'fail',
}
