import type { Serde } from './serde'
import { kindOf, serdeFailure } from './serde-failure'

/**
 * Raw bytes, passed through without a copy (Kafka's ByteArraySerde). The deserialized Buffer is the
 * record's own bytes: treat it as read-only.
 */
export const bufferSerde: Serde<Buffer> = Object.freeze({
  name: 'buffer',
  serialize(data: Buffer, topic: string): Buffer {
    if (!Buffer.isBuffer(data)) {
      throw serdeFailure('SERIALIZATION_FAILED', 'buffer', `expects a Buffer, got ${kindOf(data)}`, topic)
    }
    return data
  },
  deserialize(data: Buffer): Buffer {
    return data
  },
})
