/**
 * Type-level tests of KStream-KStream joins: `npm test` typechecks this file (tsc --noEmit), so a
 * wrong inference or a `@ts-expect-error` that no longer errors fails the suite.
 */
import { expectTypeOf } from 'expect-type'
import { JoinWindows, Serdes, StreamBuilder, type KStream } from 'streamfold'

describe('KStream-KStream join types', () => {
  const b = new StreamBuilder()
  const orders = b.stream('orders', { key: Serdes.string(), value: Serdes.json<{ readonly total: number }>() })
  const payments = b.stream('payments', { key: Serdes.string(), value: Serdes.double() })
  const w = JoinWindows.ofTimeDifferenceWithNoGrace(1_000)

  test('join: neither value is null; the result type comes from the joiner', () => {
    const joined = orders.join(
      payments,
      (key, order, amount) => {
        expectTypeOf(key).toEqualTypeOf<string>()
        expectTypeOf(order).toEqualTypeOf<{ readonly total: number }>()
        expectTypeOf(amount).toEqualTypeOf<number>()
        return order.total - amount
      },
      w,
    )
    expectTypeOf(joined).toEqualTypeOf<KStream<string, number>>()
  })

  test('leftJoin: the other value may be null; outerJoin: either may', () => {
    orders.leftJoin(payments, (_k, order, amount) => {
      expectTypeOf(order).toEqualTypeOf<{ readonly total: number }>()
      expectTypeOf(amount).toEqualTypeOf<number | null>()
      return 0
    }, w)
    orders.outerJoin(payments, (_k, order, amount) => {
      expectTypeOf(order).toEqualTypeOf<{ readonly total: number } | null>()
      expectTypeOf(amount).toEqualTypeOf<number | null>()
      return 0
    }, w)
  })

  test('option serdes must fit the key and both value types (they were any)', () => {
    orders.join(payments, (_k, o, a) => o.total + a, w, { key: Serdes.string(), otherValue: Serdes.double() })
    // @ts-expect-error a key serde of another type
    orders.join(payments, (_k, o, a) => o.total + a, w, { key: Serdes.int32() })
    // @ts-expect-error an other-value serde of the left stream's type
    orders.leftJoin(payments, (_k, o, a) => o.total + (a ?? 0), w, { otherValue: Serdes.json<{ readonly total: number }>() })
    // @ts-expect-error a value serde of the other stream's type
    orders.outerJoin(payments, (_k, o, a) => (o?.total ?? 0) + (a ?? 0), w, { value: Serdes.double() })
  })

  test('a stream joined with another stream needs JoinWindows', () => {
    // @ts-expect-error a KStream-KStream join without windows
    expect(() => orders.join(payments, (_k, o, a) => o.total + a)).toThrow()
  })
})
