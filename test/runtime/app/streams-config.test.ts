import path from 'node:path'
import { tmpdir } from 'node:os'
import { resolveStreamsConfig, type StreamsConfig } from '../../../src/runtime/streams-config'

const resolve = (extra: Partial<StreamsConfig> = {}) => resolveStreamsConfig({ applicationId: 'app', ...extra } as StreamsConfig)

describe('resolveStreamsConfig', () => {
  it("takes Kafka Streams' defaults", () => {
    const config = resolve()
    expect(config).toMatchObject({
      processingGuarantee: 'at_least_once',
      commitIntervalMs: 30_000,
      maxBatchRecords: 1000,
      maxBatchWaitMs: 100,
      maxQueuedRecordsPerPartition: 1000,
      stateDir: path.join(tmpdir(), 'streamfold'),
      broker: { embedded: path.join(tmpdir(), 'streamfold', 'broker') },
    })
    expect(resolve({ processingGuarantee: 'exactly_once' }).commitIntervalMs).toBe(100)
    expect(resolve({ processingGuarantee: 'exactly_once', commitIntervalMs: 5 }).commitIntervalMs).toBe(5)
  })

  it('accepts every broker form', () => {
    for (const broker of [{ bootstrapServers: 'a:9092' }, { embedded: '/tmp/x' }, { embedded: { dataDir: '/tmp/x', defaultPartitions: 3 } }, { inMemory: true as const }]) {
      expect(resolve({ broker }).broker).toBe(broker)
    }
  })

  it.each([
    [{ applicationId: 'has space' }, 'applicationId'],
    [{ applicationId: '' }, 'applicationId'],
    [{ applicationId: 'x'.repeat(201) }, 'applicationId'],
    [{ processingGuarantee: 'exactly_twice' }, 'processingGuarantee'],
    [{ commitIntervalMs: -1 }, 'commitIntervalMs'],
    [{ maxBatchRecords: 0 }, 'maxBatchRecords'],
    [{ maxBatchWaitMs: 1.5 }, 'maxBatchWaitMs'],
    [{ maxQueuedRecordsPerPartition: 0 }, 'maxQueuedRecordsPerPartition'],
    [{ sessionTimeoutMs: 0 }, 'sessionTimeoutMs'],
    [{ broker: { bootstrapServers: ' ' } }, 'broker.bootstrapServers'],
    [{ broker: { embedded: '' } }, 'broker.embedded'],
    [{ broker: { inMemory: false } }, 'broker.inMemory'],
    [{ broker: { somethingElse: 1 } }, 'broker'],
    [{ errorHandlers: { processing: () => 'fail' } }, 'errorHandlers'],
    [{ dedup: { retentionMs: 0, by: { t: () => 'x' } } }, 'dedup.retentionMs'],
    [{ dedup: { retentionMs: 10, by: {} } }, 'dedup.by'],
  ])('rejects %j with CONFIG_INVALID naming %s', (extra, option) => {
    expect(() => resolve(extra as Partial<StreamsConfig>)).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(`invalid ${option}:`) }))
  })
})
