import type { Serde } from './serde'
import { kindOf, serdeFailure } from './serde-failure'

/**
 * UTF-8 text, byte-compatible with Kafka's StringSerde. Like Java's decoder, invalid UTF-8 decodes
 * to U+FFFD rather than failing, and a lone surrogate in a string encodes as U+FFFD.
 */
export const stringSerde: Serde<string> = Object.freeze({
  name: 'string',
  serialize(data: string, topic: string): Buffer {
    if (typeof data !== 'string') {
      throw serdeFailure('SERIALIZATION_FAILED', 'string', `expects a string, got ${kindOf(data)}`, topic)
    }
    return Buffer.from(data, 'utf8')
  },
  deserialize(data: Buffer): string {
    return data.toString('utf8')
  },
})
