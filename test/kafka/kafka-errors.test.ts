import { TaskMigratedError } from '../../src/errors'
import { KafkaBroker } from '../../src/runtime/broker/kafka/kafka-broker'
import { brokerError, transactionError } from '../../src/runtime/broker/kafka/kafka-errors'
import { ERR } from '../../src/runtime/broker/kafka/rdkafka'

function nativeError(code: number, flags: { isRetriable?: boolean } = {}): Error & { code: number } {
  return Object.assign(new Error(`librdkafka says ${code}`), { code, ...flags })
}

describe('Kafka adapter error mapping', () => {
  it.each([
    ['producer fenced', ERR.PRODUCER_FENCED],
    ['local fenced state', ERR.FENCED],
    ['invalid producer epoch', ERR.INVALID_PRODUCER_EPOCH],
    ['group generation gone', ERR.ILLEGAL_GENERATION],
    ['unknown member', ERR.UNKNOWN_MEMBER_ID],
  ])('maps %s to TASK_MIGRATED', (_, code) => {
    const mapped = transactionError('commitTransaction', nativeError(code))
    expect(mapped).toBeInstanceOf(TaskMigratedError)
    expect(mapped.code).toBe('TASK_MIGRATED')
    expect((mapped.cause as { code: number }).code).toBe(code)
  })

  it('maps other transaction failures to TRANSACTION_FAILED with the librdkafka code in the message', () => {
    const mapped = transactionError('commitTransaction', nativeError(ERR.TIMED_OUT, { isRetriable: true }))
    expect(mapped.code).toBe('TRANSACTION_FAILED')
    expect(mapped.message).toContain(`librdkafka code ${ERR.TIMED_OUT}`)
  })

  it('maps unknown topics to TOPIC_NOT_FOUND and the rest to BROKER_ERROR, keeping coordinates', () => {
    expect(brokerError('poll', nativeError(ERR.UNKNOWN_TOPIC_OR_PART), { topic: 't' })).toMatchObject({ code: 'TOPIC_NOT_FOUND', coordinates: { topic: 't' } })
    expect(brokerError('poll', new Error('boom'))).toMatchObject({ code: 'BROKER_ERROR', message: 'poll failed: boom' })
  })
})

describe('Kafka adapter configuration errors', () => {
  it('reports a property librdkafka does not know as CONFIG_INVALID when the client is made', async () => {
    const broker = new KafkaBroker({ bootstrapServers: '127.0.0.1:1', rdkafka: { 'no.such.property': 1 } })
    try {
      expect(() => broker.producer()).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
      expect(() => new KafkaBroker({ bootstrapServers: ' ' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }))
    } finally {
      await broker.close()
    }
  })
})
