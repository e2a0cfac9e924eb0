/** The GlobalKTable topology the global-* integration and crash tests run. */
import { Serdes, StreamBuilder, type Topology } from 'streamfold'

const str = Serdes.string()

/**
 * Orders (value: a customer id) joined with the `customers` global table (store `customers`) into
 * `enriched` as `order:customerId:name`; a left join writes `null` for a missing customer.
 */
export function customersJoinTopology(kind: 'join' | 'leftJoin'): Topology {
  const b = new StreamBuilder()
  const customers = b.globalTable('customers', { key: str, value: str, name: 'customers' })
  const orders = b.stream('orders', { key: str, value: str })
  const joiner = (order: string, customerId: string, name: string | null) => `${order}:${customerId}:${name ?? 'null'}`
  const joined = kind === 'join' ? orders.join(customers, (_order, customerId) => customerId, joiner) : orders.leftJoin(customers, (_order, customerId) => customerId, joiner)
  joined.to('enriched', { key: str, value: str })
  return b.build()
}
