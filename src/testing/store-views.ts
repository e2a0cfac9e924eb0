import { isValueAndTimestampSerde, type ValueAndTimestamp } from '../processors/stateful/value-and-timestamp'
import type { KeyValueStore } from '../state/key-value-store'
import type { KeyValue } from '../state/state-store'
import type { WindowStore, WindowValue } from '../state/window-store'
import type { StoreSpec } from '../state/store-spec'

/**
 * Test-facing views of DSL stores. Aggregates and tables keep each value with its timestamp
 * (ValueAndTimestamp); tests want the plain value, as Kafka Streams' TopologyTestDriver gives.
 */
export function keyValueView<K, V>(store: KeyValueStore<K, unknown>, spec: StoreSpec): KeyValueStore<K, V> {
  if (!isValueAndTimestampSerde(spec.valueSerde)) return store as KeyValueStore<K, V>
  const inner = store as KeyValueStore<K, ValueAndTimestamp<V>>
  const unwrap = async function* (source: AsyncIterable<KeyValue<K, ValueAndTimestamp<V>>>): AsyncGenerator<KeyValue<K, V>> {
    for await (const { key, value } of source) yield { key, value: value.value }
  }
  return new Proxy(inner, {
    get(target, property, receiver) {
      switch (property) {
        case 'get':
          return (key: K) => target.get(key)?.value
        case 'all':
          return () => unwrap(target.all())
        case 'range':
          return (from?: K, to?: K) => unwrap(target.range(from, to))
        case 'put':
        case 'putIfAbsent':
        case 'putAll':
        case 'delete':
          return () => {
            throw new Error(`${String(property)}() on a test view of a DSL store: the topology owns its state`)
          }
        default:
          return Reflect.get(target, property, receiver)
      }
    },
  }) as unknown as KeyValueStore<K, V>
}

export function windowView<K, V>(store: WindowStore<K, unknown>, spec: StoreSpec): WindowStore<K, V> {
  if (!isValueAndTimestampSerde(spec.valueSerde)) return store as WindowStore<K, V>
  const inner = store as WindowStore<K, ValueAndTimestamp<V>>
  function fetch(key: K, windowStart: number): V | undefined
  function fetch(key: K, timeFrom: number, timeTo: number): readonly WindowValue<V>[]
  function fetch(key: K, from: number, to?: number): V | undefined | readonly WindowValue<V>[] {
    if (to === undefined) return inner.fetch(key, from)?.value
    return inner.fetch(key, from, to).map((w) => ({ windowStart: w.windowStart, value: w.value.value }))
  }
  return new Proxy(inner, {
    get(target, property, receiver) {
      if (property === 'fetch') return fetch
      if (property === 'put') {
        return () => {
          throw new Error('put() on a test view of a DSL store: the topology owns its state')
        }
      }
      return Reflect.get(target, property, receiver)
    },
  }) as unknown as WindowStore<K, V>
}
