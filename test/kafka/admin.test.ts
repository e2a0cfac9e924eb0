import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { brokerPerTest, mockBroker, outgoing, sortTp } from './kafka-test-kit'

const kafka = useMockCluster()

describe('Kafka adapter: admin on the mock cluster', () => {
  const broker = brokerPerTest(kafka)

  it("ensureTopics in 'auto' mode finds existing topics and has the broker auto-create missing ones", async () => {
    const existing = kafka.uniqueTopic('exists')
    await kafka.createTopic(existing, 3)
    const missing = kafka.uniqueTopic('auto')
    const admin = broker().admin()
    await admin.ensureTopics([
      { name: existing, partitions: 3 },
      { name: missing, partitions: 4, config: { 'cleanup.policy': 'compact' } },
    ])
    const counts = await admin.partitionCounts([existing, missing, kafka.uniqueTopic('absent')])
    // The mock auto-creates with 4 partitions, its default, which is what we asked for here.
    expect(Object.fromEntries(counts)).toEqual({ [existing]: 3, [missing]: 4 })
    expect(await admin.listTopics()).toEqual(expect.arrayContaining([existing, missing]))
  })

  it("ensureTopics in 'admin' mode fails with BROKER_ERROR where CreateTopics is unsupported (the mock)", async () => {
    const strict = mockBroker(kafka.bootstrapServers, { topicCreation: 'admin', operationTimeoutMs: 1_000 })
    try {
      const name = kafka.uniqueTopic('strict')
      await expect(strict.admin().ensureTopics([{ name, partitions: 2 }])).rejects.toMatchObject({ code: 'BROKER_ERROR', coordinates: { topic: name } })
      // Existing topics need no CreateTopics, so they pass in 'admin' mode too.
      await kafka.createTopic(name, 2)
      await strict.admin().ensureTopics([{ name, partitions: 2 }])
    } finally {
      await strict.close()
    }
  })

  it('reports beginning and end offsets per partition', async () => {
    const topic = kafka.uniqueTopic('offsets')
    await kafka.createTopic(topic, 2)
    const producer = broker().producer()
    await producer.connect()
    for (let i = 0; i < 7; i++) producer.send(outgoing(topic, null, 'v', { partition: 1 }))
    await producer.flush()
    const partitions = [0, 1].map((partition) => ({ topic, partition }))
    const admin = broker().admin()
    expect(await admin.endOffsets([...partitions, partitions[1]!])).toEqual([
      { topic, partition: 0, offset: 0 },
      { topic, partition: 1, offset: 7 },
      { topic, partition: 1, offset: 7 },
    ])
    expect(await admin.endOffsets(partitions, 'read_committed')).toEqual([
      { topic, partition: 0, offset: 0 },
      { topic, partition: 1, offset: 7 },
    ])
    expect(await admin.beginningOffsets(partitions)).toEqual([
      { topic, partition: 0, offset: 0 },
      { topic, partition: 1, offset: 0 },
    ])
    await expect(admin.endOffsets([{ topic, partition: 5 }])).rejects.toMatchObject({ code: expect.stringMatching(/TOPIC_NOT_FOUND|BROKER_ERROR/) })
  })

  it("sets and reads a group's committed offsets without joining it", async () => {
    const topic = kafka.uniqueTopic('group-offsets')
    await kafka.createTopic(topic, 3)
    const group = kafka.uniqueTopic('g')
    const admin = broker().admin()
    expect(await admin.committedOffsets(group, [{ topic, partition: 0 }])).toEqual([])
    await admin.setCommittedOffsets(group, [
      { topic, partition: 0, offset: 5 },
      { topic, partition: 2, offset: 9 },
    ])
    const committed = await admin.committedOffsets(group, [0, 1, 2].map((partition) => ({ topic, partition })))
    expect(sortTp(committed)).toEqual([
      { topic, partition: 0, offset: 5 },
      { topic, partition: 2, offset: 9 },
    ])
  })
})
