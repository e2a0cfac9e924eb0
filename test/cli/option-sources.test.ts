import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { mergeOptions, readConfigFile } from '../../src/runtime/cli/option-sources'
import { FILE_OPTIONS } from '../../src/runtime/cli/worker-options'
import { resolveWorkerSettings } from '../../src/runtime/cli/worker-settings'

describe('worker options from module, file, environment and flags', () => {
  it('takes each option from the strongest source that has it', () => {
    const merged = mergeOptions(FILE_OPTIONS, {
      module: { applicationId: 'from-module', commitIntervalMs: 1, logLevel: 'debug', maxBatchRecords: 7, kafka: { 'client.rack': 'r1', 'linger.ms': 5 } },
      file: { path: 'c.json', values: { applicationId: 'from-file', commitIntervalMs: 2, httpPort: 9000, kafka: { 'linger.ms': 10 } } },
      env: { STREAMFOLD_COMMIT_INTERVAL_MS: '3', KAFKA_BROKERS: 'k1:9092', STREAMFOLD_KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', STREAMFOLD_HTTP_PORT: '' },
      flags: { commitIntervalMs: 4, kafka: ['sasl.mechanisms=PLAIN', 'linger.ms=20'] },
    })
    expect(merged.values).toEqual({ applicationId: 'from-file', commitIntervalMs: 4, logLevel: 'debug', maxBatchRecords: 7, httpPort: 9000, brokers: 'k1:9092' })
    expect(merged.kafka).toEqual({ 'client.rack': 'r1', 'linger.ms': '20', 'security.protocol': 'SASL_SSL', 'sasl.mechanisms': 'PLAIN' })
  })

  it('resolves defaults: embedded broker in ./data/broker, state in ./data/state, fail policies, dead-letter topic', () => {
    const settings = resolveWorkerSettings(mergeOptions(FILE_OPTIONS, { flags: {}, env: {}, module: { applicationId: 'app' } }))
    expect(settings).toMatchObject({
      applicationId: 'app',
      broker: { brokers: undefined, dataDir: path.resolve('data/broker'), kafka: {} },
      stateDir: path.resolve('data/state'),
      processingGuarantee: undefined,
      errorHandling: { deserialization: 'fail', processing: 'fail', production: 'fail', deadLetterTopic: 'app-dead-letters' },
      logLevel: 'info',
      logFormat: 'auto',
      httpPort: undefined,
      httpHost: '127.0.0.1',
      summaryIntervalMs: 30_000,
      shutdownTimeoutMs: 30_000,
    })
  })

  it.each([
    [{ env: { STREAMFOLD_HTTP_PORT: 'eighty' } }, "invalid value for STREAMFOLD_HTTP_PORT: expected an integer >= 0, got 'eighty'"],
    [{ env: { STREAMFOLD_PROCESSING_GUARANTEE: 'maybe' } }, "invalid value for STREAMFOLD_PROCESSING_GUARANTEE: expected one of at_least_once, exactly_once, got 'maybe'"],
    [{ module: { commitIntervalMs: 'soon' } }, `invalid value for commitIntervalMs in the module's config: expected an integer >= 0, got "soon"`],
    [{ module: { colour: 'blue' } }, "unknown option colour in the module's config; accepted: applicationId,"],
    [{ file: { path: 'w.json', values: { onProcessingError: 'retry' } } }, 'invalid value for onProcessingError in w.json: expected one of fail, skip, deadLetter, got "retry"'],
    [{ file: { path: 'w.json', values: { kafka: ['x'] } } }, 'invalid kafka in w.json: expected an object of librdkafka properties, got ["x"]'],
    [{ flags: { kafka: ['novalue'] } }, "invalid value for --kafka: expected property=value, got 'novalue'"],
  ])('%j is refused with a message naming the source', (sources, message) => {
    expect(() => mergeOptions(FILE_OPTIONS, { flags: {}, env: {}, ...sources })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining(message) }))
  })

  it('passes the state-memory options on, and refuses a write buffer under LevelDB minimum', () => {
    const settings = resolveWorkerSettings(
      mergeOptions(FILE_OPTIONS, {
        flags: { cacheMaxBytes: 0 },
        env: { STREAMFOLD_TASK_DB_CACHE_BYTES: '131072', STREAMFOLD_MAX_UNCOMMITTED_BYTES: '8388608' },
        module: { applicationId: 'app', taskDbWriteBufferBytes: 1_048_576 },
      }),
    )
    expect(settings).toMatchObject({ cacheMaxBytes: 0, maxUncommittedBytes: 8_388_608, taskDbCacheBytes: 131_072, taskDbWriteBufferBytes: 1_048_576 })
    expect(() => mergeOptions(FILE_OPTIONS, { flags: {}, env: { STREAMFOLD_TASK_DB_WRITE_BUFFER_BYTES: '4096' } })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message: expect.stringContaining('STREAMFOLD_TASK_DB_WRITE_BUFFER_BYTES: expected an integer >= 65536') }),
    )
  })

  it('takes Infinity for maxUncommittedBytes from every source, and names a non-finite number it refuses', () => {
    const resolve = (sources: Partial<Parameters<typeof mergeOptions>[1]>) => resolveWorkerSettings(mergeOptions(FILE_OPTIONS, { flags: {}, env: {}, module: { applicationId: 'app' }, ...sources }))
    expect(resolve({ module: { applicationId: 'app', maxUncommittedBytes: Number.POSITIVE_INFINITY } }).maxUncommittedBytes).toBe(Number.POSITIVE_INFINITY)
    expect(resolve({ env: { STREAMFOLD_MAX_UNCOMMITTED_BYTES: 'Infinity' } }).maxUncommittedBytes).toBe(Number.POSITIVE_INFINITY)
    expect(resolve({ file: { path: 'w.json', values: { maxUncommittedBytes: 'Infinity' } } }).maxUncommittedBytes).toBe(Number.POSITIVE_INFINITY)
    expect(() => resolve({ module: { applicationId: 'app', commitIntervalMs: Number.POSITIVE_INFINITY } })).toThrow(
      "invalid value for commitIntervalMs in the module's config: expected an integer >= 0, got 'Infinity'",
    )
    expect(() => resolve({ module: { applicationId: 'app', maxUncommittedBytes: Number.NaN } })).toThrow(
      "invalid value for maxUncommittedBytes in the module's config: expected an integer >= 0 or Infinity, got 'NaN'",
    )
  })

  it('requires an applicationId from some source', () => {
    expect(() => resolveWorkerSettings(mergeOptions(FILE_OPTIONS, { flags: {}, env: {} }))).toThrow(
      "missing applicationId: give --application-id, STREAMFOLD_APPLICATION_ID, or applicationId in the module's config or the config file",
    )
  })

  it('reads a JSON config file and explains a bad one', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'streamfold-config-'))
    const good = path.join(dir, 'good.json')
    writeFileSync(good, '{"applicationId":"x","httpPort":8080}')
    expect(await readConfigFile(good)).toEqual({ path: good, values: { applicationId: 'x', httpPort: 8080 } })
    const broken = path.join(dir, 'broken.json')
    writeFileSync(broken, '{"applicationId":')
    await expect(readConfigFile(broken)).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`invalid --config: ${broken} is not valid JSON`) })
    writeFileSync(broken, '[1]')
    await expect(readConfigFile(broken)).rejects.toMatchObject({ message: `invalid --config: ${broken} must hold a JSON object of options by name` })
    await expect(readConfigFile(path.join(dir, 'missing.json'))).rejects.toMatchObject({ message: `invalid --config: cannot read ${path.join(dir, 'missing.json')} (ENOENT)` })
  })
})
