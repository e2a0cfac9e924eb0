import { TopologyError } from '../errors'
import type { Serde } from '../serdes/serde'

/**
 * Stateful operations and repartition topics need whole serdes. A stream knows them while its
 * types are the source's; after map/mapValues/process they must be given.
 */
export function requireSerde<T>(serde: Serde<T> | undefined, operation: string, part: 'key' | 'value'): Serde<T> {
  if (serde === undefined) {
    throw new TopologyError(
      'TOPOLOGY_INVALID',
      `${operation}() needs a ${part} serde: the stream's ${part} type changed since its source (or the source was given only a deserializer), so pass { ${part}: Serdes.<type>() }`,
    )
  }
  return serde
}
