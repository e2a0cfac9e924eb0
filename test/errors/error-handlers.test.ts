/** The record error handlers: policies, dead-letter records byte for byte, log lines without contents. */
import { ProcessingError, Serdes, StreamBuilder, StreamfoldError } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'
import type { BrokerRecord, OutgoingRecord } from '../../src/runtime/broker/broker'
import { DEAD_LETTER_HEADERS } from '../../src/runtime/errors/dead-letter-record'
import { createErrorHandlers } from '../../src/runtime/errors/error-handlers'
import { captureLogs } from '../observability/support/log-capture'

const SECRET_KEY = 'key-secret-4711'
const SECRET_VALUE = '{"card":"4111-secret"'

function rawRecord(): BrokerRecord {
  return {
    topic: 'payments',
    partition: 3,
    offset: 1234,
    timestamp: 1_700_000_000_123,
    key: Buffer.from(SECRET_KEY),
    value: Buffer.from(SECRET_VALUE),
    headers: [['trace-id', Buffer.from('t-1')], ['trace-id', Buffer.from('t-2')]],
  }
}

function deserializationError(): ProcessingError {
  return new ProcessingError('DESERIALIZATION_FAILED', 'Could not deserialize the record value with the json serde', {
    taskId: '0_3',
    node: 'KSTREAM-SOURCE-payments',
    topic: 'payments',
    partition: 3,
    offset: 1234,
  })
}

function text(headers: readonly (readonly [string, Buffer])[]): Array<[string, string]> {
  return headers.map(([k, v]) => [k, v.toString('utf8')])
}

describe('createErrorHandlers', () => {
  it('dead-letters the original key, value, timestamp and headers plus headers saying why', () => {
    const sent: OutgoingRecord[] = []
    const { logger } = captureLogs()
    const handlers = createErrorHandlers({ deserialization: 'deadLetter', deadLetterTopic: 'payments-dlq', logger })
    handlers.connectDeadLetters({ send: (r) => void sent.push(r) })
    expect(handlers.deserialization(deserializationError(), rawRecord())).toBe('continue')
    expect(sent).toHaveLength(1)
    const dead = sent[0]!
    expect(dead.topic).toBe('payments-dlq')
    expect(dead.partition).toBeUndefined()
    expect(dead.key).toEqual(Buffer.from(SECRET_KEY))
    expect(dead.value).toEqual(Buffer.from(SECRET_VALUE))
    expect(dead.timestamp).toBe(1_700_000_000_123)
    expect(text(dead.headers)).toEqual([
      ['trace-id', 't-1'],
      ['trace-id', 't-2'],
      [DEAD_LETTER_HEADERS.stage, 'deserialization'],
      [DEAD_LETTER_HEADERS.code, 'DESERIALIZATION_FAILED'],
      [DEAD_LETTER_HEADERS.message, 'Could not deserialize the record value with the json serde'],
      [DEAD_LETTER_HEADERS.topic, 'payments'],
      [DEAD_LETTER_HEADERS.partition, '3'],
      [DEAD_LETTER_HEADERS.offset, '1234'],
      [DEAD_LETTER_HEADERS.task, '0_3'],
      [DEAD_LETTER_HEADERS.node, 'KSTREAM-SOURCE-payments'],
    ])
    expect(handlers.outcomes.count('deserialization', 'dead_lettered')).toBe(1)
  })

  it('keeps null keys and values as null in the dead letter', () => {
    const sent: OutgoingRecord[] = []
    const handlers = createErrorHandlers({ processing: 'deadLetter', deadLetterTopic: 'dlq', logger: captureLogs().logger })
    handlers.connectDeadLetters({ send: (r) => void sent.push(r) })
    handlers.processing(deserializationError(), { ...rawRecord(), key: null, value: null, headers: [] })
    expect(sent[0]!.key).toBeNull()
    expect(sent[0]!.value).toBeNull()
    expect(text(sent[0]!.headers)[0]).toEqual([DEAD_LETTER_HEADERS.stage, 'processing'])
  })

  it('skip logs one line with code and coordinates, never the record contents', () => {
    const logs = captureLogs()
    const handlers = createErrorHandlers({ deserialization: 'skip', processing: 'skip', production: 'skip', logger: logs.logger })
    expect(handlers.deserialization(deserializationError(), rawRecord())).toBe('continue')
    expect(handlers.production(new StreamfoldError('PRODUCTION_FAILED', 'record too large', { topic: 'out', partition: 0 }), { ...rawRecord(), topic: 'out' })).toBe('continue')
    expect(logs.lines).toHaveLength(2)
    expect(logs.lines[0]).toMatchObject({
      level: 40,
      stage: 'deserialization',
      code: 'DESERIALIZATION_FAILED',
      taskId: '0_3',
      node: 'KSTREAM-SOURCE-payments',
      topic: 'payments',
      partition: 3,
      offset: 1234,
      msg: 'record skipped by the deserialization error handler',
    })
    expect(logs.lines[1]).toMatchObject({ stage: 'production', code: 'PRODUCTION_FAILED', topic: 'out' })
    expect(logs.text()).not.toContain('secret')
    expect(handlers.outcomes.snapshot()).toEqual({ 'deserialization/skipped': 1, 'production/skipped': 1 })
  })

  it('fail answers fail and counts it; the defaults are fail everywhere', () => {
    const logs = captureLogs()
    const handlers = createErrorHandlers({ logger: logs.logger })
    expect(handlers.policies).toEqual({ deserialization: 'fail', processing: 'fail', production: 'fail' })
    expect(handlers.deserialization(deserializationError(), rawRecord())).toBe('fail')
    expect(handlers.processing(deserializationError(), undefined)).toBe('fail')
    expect(handlers.outcomes.count('deserialization', 'failed')).toBe(1)
    expect(handlers.outcomes.count('processing', 'failed')).toBe(1)
    expect(handlers.deadLetterTopic).toBeUndefined()
    expect(logs.text()).not.toContain('secret')
  })

  it('refuses to continue past a record when no dead-letter sink is connected', () => {
    const handlers = createErrorHandlers({ deserialization: 'deadLetter', deadLetterTopic: 'dlq', logger: captureLogs().logger })
    expect(() => handlers.deserialization(deserializationError(), rawRecord())).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }))
    expect(handlers.outcomes.count('deserialization', 'dead_lettered')).toBe(0)
  })

  it('a punctuator error under deadLetter has no record: logged and skipped', () => {
    const logs = captureLogs()
    const handlers = createErrorHandlers({ processing: 'deadLetter', deadLetterTopic: 'dlq', logger: logs.logger })
    const sent: OutgoingRecord[] = []
    handlers.connectDeadLetters({ send: (r) => void sent.push(r) })
    expect(handlers.processing(new ProcessingError('PROCESSING_FAILED', 'punctuator threw', { taskId: '0_0', node: 'p' }), undefined)).toBe('continue')
    expect(sent).toEqual([])
    expect(handlers.outcomes.count('processing', 'skipped')).toBe(1)
  })

  it.each([
    [{ deserialization: 'ignore' }, 'invalid deserialization error policy: expected one of fail, skip, deadLetter, got ignore'],
    [{ production: 'deadLetter' }, 'invalid production error policy: expected one of fail, skip, got deadLetter'],
    [{ processing: 'deadLetter' }, "invalid deadLetterTopic: a topic name is required when a policy is 'deadLetter', got undefined"],
  ])('rejects %j with CONFIG_INVALID', (config, message) => {
    expect(() => createErrorHandlers({ ...(config as object), logger: captureLogs().logger })).toThrow(
      expect.objectContaining({ code: 'CONFIG_INVALID', message }),
    )
  })
})

describe('error handlers inside a running task', () => {
  it('dead-letters malformed JSON and records user code threw on, processes the rest', () => {
    const builder = new StreamBuilder()
    builder
      .stream('orders', { key: Serdes.string(), value: Serdes.json<{ qty: number }>() })
      .mapValues((_k, v) => {
        if (v.qty < 0) throw new Error(`negative quantity in ${JSON.stringify(v)}`)
        return v.qty * 2
      }, { name: 'double-qty' })
      .to('doubled', { key: Serdes.string(), value: Serdes.double() })
    const logs = captureLogs()
    const handlers = createErrorHandlers({ deserialization: 'deadLetter', processing: 'deadLetter', deadLetterTopic: 'orders-dlq', logger: logs.logger })
    const dead: OutgoingRecord[] = []
    handlers.connectDeadLetters({ send: (r) => void dead.push(r) })
    const driver = new TopologyTestDriver(builder.build(), { errorHandlers: handlers })
    const input = driver.createInputTopic('orders', Serdes.buffer(), Serdes.buffer())
    input.pipeInput(Buffer.from('a'), Buffer.from('{"qty":1}'), 10)
    input.pipeInput(Buffer.from('b'), Buffer.from('{"qty":'), 11)
    input.pipeInput(Buffer.from('c'), Buffer.from('{"qty":-5}'), 12)
    input.pipeInput(Buffer.from('d'), Buffer.from('{"qty":4}'), 13)
    expect(driver.createOutputTopic('doubled', Serdes.string(), Serdes.double()).readKeyValuesToList()).toEqual([
      { key: 'a', value: 2 },
      { key: 'd', value: 8 },
    ])
    expect(dead.map((r) => [r.key!.toString(), r.value!.toString(), new Map(text(r.headers)).get(DEAD_LETTER_HEADERS.code)])).toEqual([
      ['b', '{"qty":', 'DESERIALIZATION_FAILED'],
      ['c', '{"qty":-5}', 'PROCESSING_FAILED'],
    ])
    const processingHeaders = new Map(text(dead[1]!.headers))
    expect(processingHeaders.get(DEAD_LETTER_HEADERS.node)).toBe('double-qty')
    expect(processingHeaders.get(DEAD_LETTER_HEADERS.offset)).toBe('2')
    expect(processingHeaders.get(DEAD_LETTER_HEADERS.message)).not.toContain('-5')
    driver.close()
  })
})
