/** The broker contract on the embedded broker, in memory and durable (a temp data directory). */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createEmbeddedBroker } from '../../src/runtime/broker/embedded/embedded-broker'
import { describeBrokerContract, type BrokerCapabilities } from './broker-contract'

const capabilities: BrokerCapabilities = {
  adminCreatesTopics: true,
  topicsWithPartitions: true,
  deleteTopics: true,
  transactions: true,
  readCommitted: true,
  transactionalOffsets: true,
  evictsSilentMembers: true,
  sessionTimeoutMs: 500,
  rebalanceTimeoutMs: 5_000,
}

describeBrokerContract('embedded (in memory)', capabilities, async () => {
  const broker = await createEmbeddedBroker({ inMemory: true, cleanerIntervalMs: 0 })
  return { broker, cleanup: () => broker.close() }
})

describeBrokerContract('embedded (durable)', capabilities, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'streamfold-contract-'))
  const broker = await createEmbeddedBroker({ dataDir, cleanerIntervalMs: 0 })
  return {
    broker,
    cleanup: async () => {
      await broker.close()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
})
