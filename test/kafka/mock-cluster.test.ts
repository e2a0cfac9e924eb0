import { startMockCluster } from '../support/mock-cluster/start-mock-cluster'

describe('mock cluster helper', () => {
  it('starts, creates and deletes topics, and stops', async () => {
    const cluster = await startMockCluster({ brokers: 2, topics: [{ name: 'pre', partitions: 3 }] })
    try {
      expect(cluster.bootstrapServers).toMatch(/^127\.0\.0\.1:\d+,127\.0\.0\.1:\d+$/)
      await cluster.createTopic('later', 5)
      await expect(cluster.createTopic('later', 5)).rejects.toThrow(/already exists/)
      await cluster.deleteTopic('later')
    } finally {
      await cluster.stop()
    }
    await cluster.stop()
    await expect(cluster.createTopic('x', 1)).rejects.toThrow(/stopped/)
  })
})
