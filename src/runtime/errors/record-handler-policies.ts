/**
 * The three things a handler can do with a record that failed, as Kafka Streams' built-in handlers
 * (LogAndFail, LogAndContinue, and a dead-letter queue). Each returns one stage's handler
 * function; error-handlers.ts assembles them into the runtime's RecordErrorHandlers.
 */
import type { StreamfoldError } from '../../errors'
import type { Logger } from '../../logger'
import type { BrokerRecord } from '../broker/broker'
import type { HandlerResponse } from '../task/record-error-handlers'
import type { DeadLetterSink } from './dead-letter-sink'
import { deadLetterRecord, type DeadLetterStage } from './dead-letter-record'
import type { ErrorOutcomes, ErrorStage } from './error-outcomes'

/** Takes any StreamfoldError: record errors are ProcessingErrors, production errors may not be. */
export type StageHandler<R> = (error: StreamfoldError, record: R) => HandlerResponse

export interface PolicyContext {
  readonly stage: ErrorStage
  /** A child logger made once for the handlers, not per record. */
  readonly logger: Logger
  readonly outcomes: ErrorOutcomes
}

/** Stops the task: the error is rethrown and nothing past the record is committed. */
export function failPolicy<R>(ctx: PolicyContext): StageHandler<R> {
  return (error) => {
    ctx.outcomes.record({ stage: ctx.stage, outcome: 'failed', code: error.code })
    ctx.logger.error({ ...where(error), stage: ctx.stage, code: error.code }, `record failed the ${ctx.stage} error handler's policy 'fail': stopping`)
    return 'fail'
  }
}

/** Drops the record with one log line naming the code and coordinates, never its contents. */
export function skipPolicy<R>(ctx: PolicyContext): StageHandler<R> {
  return (error) => {
    ctx.outcomes.record({ stage: ctx.stage, outcome: 'skipped', code: error.code })
    ctx.logger.warn({ ...where(error), stage: ctx.stage, code: error.code, reason: error.detail }, `record skipped by the ${ctx.stage} error handler`)
    return 'continue'
  }
}

export interface DeadLetterContext extends PolicyContext {
  readonly stage: DeadLetterStage
  readonly topic: string
  readonly sink: DeadLetterSink
}

/**
 * Sends the original record to the dead-letter topic. Sending throws when the sink is unusable
 * (not connected, producer fenced): the error then stops the task, which is what keeps the
 * committed offset from passing a record that went nowhere.
 */
export function deadLetterPolicy(ctx: DeadLetterContext): StageHandler<BrokerRecord | undefined> {
  return (error, record) => {
    if (record === undefined) {
      // A punctuator failed, or a cached aggregation's update while it was forwarded at commit
      // (a result of many input records: the coordinates name the last one). There is no record
      // to send, and no offset depends on it.
      ctx.outcomes.record({ stage: ctx.stage, outcome: 'skipped', code: error.code })
      ctx.logger.warn(
        { ...where(error), stage: ctx.stage, code: error.code, reason: error.detail },
        'error outside any input record (a punctuator, or a cached update forwarded at commit): logged and skipped, nothing to dead-letter',
      )
      return 'continue'
    }
    ctx.sink.send(deadLetterRecord(ctx.topic, ctx.stage, error, record))
    ctx.outcomes.record({ stage: ctx.stage, outcome: 'dead_lettered', code: error.code })
    if (ctx.logger.isLevelEnabled('debug')) {
      ctx.logger.debug({ ...where(error), stage: ctx.stage, code: error.code, deadLetterTopic: ctx.topic }, 'record sent to the dead-letter topic')
    }
    return 'continue'
  }
}

function where(error: StreamfoldError): Record<string, unknown> {
  return { ...error.coordinates }
}
