/**
 * The record error handlers a worker is configured with (Kafka Streams' deserialization,
 * processing and production exception handlers), built from policy names so they can come from
 * flags, environment or a config file:
 *
 *   deserialization: fail | skip | deadLetter     processing: fail | skip | deadLetter
 *   production:      fail | skip
 *
 * `skip` and `deadLetter` answer 'continue': the record counts as handled and its offset may be
 * committed. A dead letter goes through the DeadLetterSink the runtime connects to its producer.
 */
import { StreamfoldError } from '../../errors'
import type { Logger } from '../../logger'
import type { BrokerRecord, OutgoingRecord } from '../broker/broker'
import type { HandlerResponse, RecordErrorHandlers } from '../task/record-error-handlers'
import { DeferredDeadLetterSink, type DeadLetterSink } from './dead-letter-sink'
import { ErrorOutcomes } from './error-outcomes'
import { deadLetterPolicy, failPolicy, skipPolicy, type StageHandler } from './record-handler-policies'

export const RECORD_ERROR_POLICIES = ['fail', 'skip', 'deadLetter'] as const
export type RecordErrorPolicy = (typeof RECORD_ERROR_POLICIES)[number]
/** A record the broker refused cannot be dead-lettered through the same broker call that refused it. */
export const PRODUCTION_ERROR_POLICIES = ['fail', 'skip'] as const
export type ProductionErrorPolicy = (typeof PRODUCTION_ERROR_POLICIES)[number]

export interface ErrorHandlingConfig {
  /** Default 'fail' (Kafka Streams' default). */
  readonly deserialization?: RecordErrorPolicy
  /** Default 'fail'. */
  readonly processing?: RecordErrorPolicy
  /** Default 'fail'. */
  readonly production?: ProductionErrorPolicy
  /** Required when a policy is 'deadLetter'. */
  readonly deadLetterTopic?: string
}

export interface ErrorHandlersOptions extends ErrorHandlingConfig {
  readonly logger: Logger
  /** Shared counters; default: fresh ones. */
  readonly outcomes?: ErrorOutcomes
}

/**
 * What the runtime calls when the broker refuses a record it produced for good (record too large,
 * topic or partition missing with auto-creation off, invalid record): 'continue' drops that record
 * and lets the commit go on, 'fail' fails the commit (it is rolled back and retried; repeated
 * failures put the app in ERROR). StreamsApp hands it to its producer (ProducerOptions.
 * onRecordFailure). Never called for retriable errors, which the client retries itself, nor for
 * changelog records, whose refusal always fails the commit, nor on Kafka for a delivery failure
 * inside a transaction, which librdkafka only lets abort.
 */
export interface ProductionErrorHandler {
  production(error: StreamfoldError, record: OutgoingRecord): HandlerResponse
}

export interface StreamErrorHandlers extends RecordErrorHandlers, ProductionErrorHandler {
  readonly policies: { readonly deserialization: RecordErrorPolicy; readonly processing: RecordErrorPolicy; readonly production: ProductionErrorPolicy }
  /** Where dead letters go, if a policy sends any: the runtime creates it with its other topics. */
  readonly deadLetterTopic: string | undefined
  readonly outcomes: ErrorOutcomes
  /** The runtime calls this once its producer exists, and again when it replaces the producer. */
  connectDeadLetters(sink: DeadLetterSink): void
}

export function createErrorHandlers(options: ErrorHandlersOptions): StreamErrorHandlers {
  const deserialization = checkPolicy('deserialization', options.deserialization ?? 'fail', RECORD_ERROR_POLICIES)
  const processing = checkPolicy('processing', options.processing ?? 'fail', RECORD_ERROR_POLICIES)
  const production = checkPolicy('production', options.production ?? 'fail', PRODUCTION_ERROR_POLICIES)
  const wantsDeadLetters = deserialization === 'deadLetter' || processing === 'deadLetter'
  const topic = options.deadLetterTopic
  if (wantsDeadLetters && (typeof topic !== 'string' || topic.trim() === '')) {
    throw new StreamfoldError('CONFIG_INVALID', `invalid deadLetterTopic: a topic name is required when a policy is 'deadLetter', got ${String(topic)}`)
  }
  const outcomes = options.outcomes ?? new ErrorOutcomes()
  const logger = options.logger.child({ component: 'error-handlers' })
  const sink = new DeferredDeadLetterSink()
  const build = (stage: 'deserialization' | 'processing', policy: RecordErrorPolicy): StageHandler<BrokerRecord | undefined> => {
    const ctx = { stage, logger, outcomes }
    if (policy === 'fail') return failPolicy(ctx)
    if (policy === 'skip') return skipPolicy(ctx)
    return deadLetterPolicy({ ...ctx, topic: topic!, sink })
  }
  const onProduction: StageHandler<OutgoingRecord> =
    production === 'fail' ? failPolicy({ stage: 'production', logger, outcomes }) : skipPolicy({ stage: 'production', logger, outcomes })
  return {
    policies: { deserialization, processing, production },
    deadLetterTopic: wantsDeadLetters ? topic : undefined,
    outcomes,
    deserialization: build('deserialization', deserialization),
    processing: build('processing', processing),
    production: onProduction,
    connectDeadLetters: (target) => sink.bind(target),
  }
}

function checkPolicy<P extends string>(stage: string, value: string, accepted: readonly P[]): P {
  if (!(accepted as readonly string[]).includes(value)) {
    throw new StreamfoldError('CONFIG_INVALID', `invalid ${stage} error policy: expected one of ${accepted.join(', ')}, got ${String(value)}`)
  }
  return value as P
}
