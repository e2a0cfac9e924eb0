/**
 * The Broker port's contract: every promise broker.ts makes, as jest tests that any adapter runs.
 *
 *   describeBrokerContract('embedded (in memory)', capabilities, async () => ({ broker, cleanup }))
 *
 * Capabilities are declared up front (jest names its tests before any broker exists); a test the
 * broker cannot pass is skipped with the reason in its name, never silently.
 */
import { describeConsumerGroupContract } from './contract-groups'
import { describeProduceConsumeContract } from './contract-produce'
import { describeReaderContract } from './contract-reader'
import type { BrokerCapabilities, BrokerUnderTest, ContractContext, MakeBroker } from './contract-support'
import { describeTransactionContract } from './contract-transactions'

export type { BrokerCapabilities, BrokerUnderTest, MakeBroker } from './contract-support'

export function describeBrokerContract(name: string, capabilities: BrokerCapabilities, makeBroker: MakeBroker): void {
  describe(`Broker contract: ${name}`, () => {
    let current: BrokerUnderTest | undefined
    const context: ContractContext = {
      capabilities,
      current: () => {
        if (current === undefined) throw new Error('broker under test not created (beforeAll failed?)')
        return current
      },
    }

    beforeAll(async () => {
      current = await makeBroker()
    })

    afterAll(async () => {
      await current?.cleanup()
    })

    describeProduceConsumeContract(context)
    describeConsumerGroupContract(context)
    describeReaderContract(context)
    describeTransactionContract(context)
  })
}
