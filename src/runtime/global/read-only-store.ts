import { StreamfoldError } from '../../errors'
import type { KeyValueStore } from '../../state/key-value-store'

/**
 * A global store as processors see it: readable, never writable, because only its topic may
 * change it (a write here would differ between instances and be lost at the next restore).
 * Kafka Streams hands processors the same kind of read-only wrapper.
 */
export function readOnlyKeyValueStore<K, V>(store: KeyValueStore<K, V>): KeyValueStore<K, V> {
  const refuse = (operation: string): never => {
    throw new StreamfoldError('ILLEGAL_STATE', `global store "${store.name}" is read-only: ${operation}() is not allowed (write to its topic instead)`, {
      store: store.name,
    })
  }
  return {
    get name() {
      return store.name
    },
    kind: 'keyValue',
    get persistent() {
      return store.persistent
    },
    logged: false,
    isOpen: () => store.isOpen(),
    get: (key) => store.get(key),
    put: () => refuse('put'),
    putIfAbsent: () => refuse('putIfAbsent'),
    putAll: () => refuse('putAll'),
    delete: () => refuse('delete'),
    range: (from, to) => store.range(from, to),
    prefixScan: (prefix, serde) => store.prefixScan(prefix, serde),
    all: () => store.all(),
    approximateNumEntries: () => store.approximateNumEntries(),
  }
}
