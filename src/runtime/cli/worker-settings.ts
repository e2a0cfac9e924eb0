import path from 'node:path'
import { StreamfoldError } from '../../errors'
import type { LogLevel } from '../../logger'
import type { ProductionErrorPolicy, RecordErrorPolicy } from '../errors/error-handlers'
import type { ProcessingGuarantee } from '../streams-config'
import { brokerSettings, type BrokerSettings } from './cli-broker'
import type { MergedOptions } from './option-sources'
import { DEFAULT_STATE_DIR } from './worker-options'

/** Everything `run` needs, typed and defaulted; the runtime's own defaults apply where undefined. */
export interface WorkerSettings {
  readonly applicationId: string
  readonly broker: BrokerSettings
  readonly stateDir: string
  readonly processingGuarantee: ProcessingGuarantee | undefined
  readonly commitIntervalMs: number | undefined
  readonly repartitionPurgeIntervalMs: number | undefined
  readonly maxBatchRecords: number | undefined
  readonly maxBatchWaitMs: number | undefined
  readonly maxQueuedRecordsPerPartition: number | undefined
  readonly cacheMaxBytes: number | undefined
  readonly maxUncommittedBytes: number | undefined
  readonly taskDbCacheBytes: number | undefined
  readonly taskDbWriteBufferBytes: number | undefined
  readonly sessionTimeoutMs: number | undefined
  readonly heartbeatIntervalMs: number | undefined
  readonly maxPollIntervalMs: number | undefined
  readonly errorHandling: {
    readonly deserialization: RecordErrorPolicy
    readonly processing: RecordErrorPolicy
    readonly production: ProductionErrorPolicy
    readonly deadLetterTopic: string
  }
  readonly logLevel: LogLevel
  readonly logFormat: 'json' | 'pretty' | 'auto'
  readonly httpPort: number | undefined
  readonly httpHost: string
  readonly summaryIntervalMs: number
  readonly shutdownTimeoutMs: number
}

export function resolveWorkerSettings(merged: MergedOptions): WorkerSettings {
  const v = merged.values
  const applicationId = v.applicationId as string | undefined
  if (applicationId === undefined) {
    throw new StreamfoldError('CONFIG_INVALID', "missing applicationId: give --application-id, STREAMFOLD_APPLICATION_ID, or applicationId in the module's config or the config file")
  }
  const num = (name: string): number | undefined => v[name] as number | undefined
  return {
    applicationId,
    broker: brokerSettings(merged),
    stateDir: path.resolve((v.stateDir as string | undefined) ?? DEFAULT_STATE_DIR),
    processingGuarantee: v.processingGuarantee as ProcessingGuarantee | undefined,
    commitIntervalMs: num('commitIntervalMs'),
    repartitionPurgeIntervalMs: num('repartitionPurgeIntervalMs'),
    maxBatchRecords: num('maxBatchRecords'),
    maxBatchWaitMs: num('maxBatchWaitMs'),
    maxQueuedRecordsPerPartition: num('maxQueuedRecordsPerPartition'),
    cacheMaxBytes: num('cacheMaxBytes'),
    maxUncommittedBytes: num('maxUncommittedBytes'),
    taskDbCacheBytes: num('taskDbCacheBytes'),
    taskDbWriteBufferBytes: num('taskDbWriteBufferBytes'),
    sessionTimeoutMs: num('sessionTimeoutMs'),
    heartbeatIntervalMs: num('heartbeatIntervalMs'),
    maxPollIntervalMs: num('maxPollIntervalMs'),
    errorHandling: {
      deserialization: (v.onDeserializationError as RecordErrorPolicy | undefined) ?? 'fail',
      processing: (v.onProcessingError as RecordErrorPolicy | undefined) ?? 'fail',
      production: (v.onProductionError as ProductionErrorPolicy | undefined) ?? 'fail',
      deadLetterTopic: (v.deadLetterTopic as string | undefined) ?? `${applicationId}-dead-letters`,
    },
    logLevel: (v.logLevel as LogLevel | undefined) ?? 'info',
    logFormat: (v.logFormat as WorkerSettings['logFormat'] | undefined) ?? 'auto',
    httpPort: num('httpPort'),
    httpHost: (v.httpHost as string | undefined) ?? '127.0.0.1',
    summaryIntervalMs: num('summaryIntervalMs') ?? 30_000,
    shutdownTimeoutMs: num('shutdownTimeoutMs') ?? 30_000,
  }
}
