/**
 * Type-level tests of derived tables (typechecked by tsc --noEmit before jest runs them): joins
 * of filter/mapValues tables infer the derived value types, and a materialized mapValues takes
 * a serde of the new value type only.
 */
import { expectTypeOf } from 'expect-type'
import { Serdes, StreamBuilder, type KStream, type KTable } from 'streamfold'

describe('derived table types', () => {
  const b = new StreamBuilder()
  const customers = b.table('customers', { key: Serdes.string(), value: Serdes.string() })
  const orders = b.stream('orders', { key: Serdes.string(), value: Serdes.double() })

  test('joins with derived tables see the derived value types', () => {
    const lengths = customers.filter((_k, v) => v.length > 0).mapValues((_k, v) => v.length)
    expectTypeOf(lengths).toEqualTypeOf<KTable<string, number>>()
    expectTypeOf(orders.leftJoin(lengths, (_k, amount, len) => [amount, len] as const)).toEqualTypeOf<KStream<string, readonly [number, number | null]>>()
    const names = b.table('names', { key: Serdes.string(), value: Serdes.string() })
    expectTypeOf(names.join(lengths, (_k, name, len) => `${name}${len}`)).toEqualTypeOf<KTable<string, string>>()
  })

  test('Materialized options carry a serde of the derived type', () => {
    customers.filter(() => true, { name: 'kept', value: Serdes.string(), inMemory: true, caching: false })
    customers.mapValues((_k, v) => v.length, { name: 'lengths', value: Serdes.double() })
    // @ts-expect-error mapValues produces numbers; a string serde cannot store them
    customers.mapValues((_k, v) => v.length, { name: 'lengths2', value: Serdes.string() })
  })
})
