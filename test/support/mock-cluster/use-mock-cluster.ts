/**
 * One mock cluster per test file: call at the top of a describe block (or file); it starts in
 * beforeAll and stops in afterAll. Read `bootstrapServers` inside tests, not at definition time.
 *
 *   const kafka = useMockCluster({ topics: [{ name: 'in', partitions: 4 }] })
 *   it('...', async () => { const broker = new KafkaBroker({ bootstrapServers: kafka.bootstrapServers }) })
 *
 * For one cluster per jest run instead, start it in a globalSetup module, put its address in
 * `process.env.STREAMFOLD_MOCK_BOOTSTRAP` and keep the handle on `globalThis` for globalTeardown.
 */
import { startMockCluster, type MockCluster, type MockClusterOptions } from './start-mock-cluster'

export interface MockClusterHandle extends Omit<MockCluster, 'stop'> {
  /** A topic name no other test in this process has used: tests then need no cleanup between them. */
  uniqueTopic(prefix: string): string
}

let counter = 0

export function useMockCluster(options: MockClusterOptions = {}): MockClusterHandle {
  let cluster: MockCluster | undefined
  const get = (): MockCluster => {
    if (cluster === undefined) throw new Error('the mock cluster starts in beforeAll: use it inside tests or hooks')
    return cluster
  }
  beforeAll(async () => {
    cluster = await startMockCluster(options)
  }, 60_000)
  afterAll(async () => {
    await cluster?.stop()
  })
  return {
    get bootstrapServers() {
      return get().bootstrapServers
    },
    createTopic: (name, partitions) => get().createTopic(name, partitions),
    deleteTopic: (name) => get().deleteTopic(name),
    failProduce: (topic, partition, errorCode, count) => get().failProduce(topic, partition, errorCode, count),
    failRequests: (apiKey, errorCode, count) => get().failRequests(apiKey, errorCode, count),
    uniqueTopic: (prefix) => `${prefix}-${process.pid}-${++counter}`,
  }
}
