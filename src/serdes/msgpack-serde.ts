/**
 * MessagePack through msgpackr: the only file that imports msgpackr. Besides the user-facing serde
 * it exports packValue/unpackValue for the engine's own encodings (state, changelog), so that the
 * whole project shares one configuration and one pair of codec instances.
 */
import { Packr, Unpackr } from 'msgpackr'
import type { Serde } from './serde'
import { serdeFailure } from './serde-failure'

// Plain MessagePack maps (no record extension) so that every message is self-contained and other
// languages' decoders read it; variable map sizes so that objects of any key count encode (the
// fixed-size fast path refuses more than 65535 keys); 64-bit integers decode as bigint so that
// none loses precision. One instance each, shared: they are costly to create and reuse buffers.
const OPTIONS = { useRecords: false, mapsAsObjects: true, variableMapSize: true, int64AsType: 'bigint' } as const
const packr = new Packr(OPTIONS)
const unpackr = new Unpackr(OPTIONS)

export const msgpackSerde: Serde<unknown> = Object.freeze({
  name: 'msgpack',
  serialize: (data: unknown, topic: string): Buffer => pack(data, topic),
  deserialize: (data: Buffer, topic: string): unknown => unpack(data, topic),
})

/** Encodes an engine-internal value with the msgpack serde's format and errors. */
export function packValue(value: unknown): Buffer {
  return pack(value, undefined)
}

/** Decodes what packValue encoded. */
export function unpackValue(data: Buffer): unknown {
  return unpack(data, undefined)
}

function pack(value: unknown, topic: string | undefined): Buffer {
  try {
    return packr.pack(value)
  } catch (error) {
    throw serdeFailure('SERIALIZATION_FAILED', 'msgpack', `could not serialize the value: ${packFailure(error)}`, topic)
  }
}

function unpack(data: Buffer, topic: string | undefined): unknown {
  try {
    return unpackr.unpack(data) as unknown
  } catch (error) {
    throw serdeFailure('DESERIALIZATION_FAILED', 'msgpack', `could not decode ${data.length} bytes: ${unpackFailure(error)}`, topic)
  }
}

// msgpackr's messages quote data (trailing bytes are printed as JSON, an oversized bigint is
// printed whole), so failures are described by matching its fixed message prefixes.
function packFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : ''
  if (message.includes('too large to fit in MessagePack 64-bit')) return 'it contains a bigint outside the 64-bit range'
  if (message.startsWith('Maximum call stack')) return 'it contains a cycle or is nested too deeply'
  return 'a toJSON() method or getter threw'
}

function unpackFailure(error: unknown): string {
  const message = error instanceof Error ? error.message : ''
  if (message.startsWith('Unexpected end')) return 'the input is truncated'
  if (message.startsWith('Data read, but end of buffer not reached')) return 'unexpected bytes after the value'
  if (message.startsWith('Unknown extension')) return 'unknown extension type'
  if (message.startsWith('Maximum call stack')) return 'it is nested too deeply'
  return 'invalid MessagePack'
}
