/** Minimal serdes for state tests, independent of src/serdes (which other work may change). */
import type { Serde } from '../../../src/serdes/serde'

export const stringSerde: Serde<string> = {
  name: 'string',
  serialize: (data) => Buffer.from(data, 'utf8'),
  deserialize: (data) => data.toString('utf8'),
}

/** Unsigned 32-bit big-endian: byte order is numeric order, so ranges work. */
export const uint32Serde: Serde<number> = {
  name: 'uint32',
  serialize: (data) => {
    const out = Buffer.allocUnsafe(4)
    out.writeUInt32BE(data)
    return out
  },
  deserialize: (data) => data.readUInt32BE(0),
}

export const jsonSerde: Serde<unknown> = {
  name: 'json',
  serialize: (data) => Buffer.from(JSON.stringify(data)),
  deserialize: (data) => JSON.parse(data.toString('utf8')) as unknown,
}
