/**
 * Text <-> bytes for the produce and consume commands, through the named serdes: the text form of
 * a json or msgpack value is JSON, of numbers their decimal form, of buffer base64. Errors say
 * which line and serde, never the text itself (it is record data).
 */
import { StreamfoldError } from '../../errors'
import { Serdes, SERDE_NAMES, type SerdeName } from '../../serdes/serdes'

export { SERDE_NAMES }

export function encodeText(serde: SerdeName, text: string, where: string): Buffer {
  let value: unknown
  switch (serde) {
    case 'string':
      value = text
      break
    case 'json':
    case 'msgpack':
      try {
        value = JSON.parse(text)
      } catch {
        throw bad(where, serde, 'is not valid JSON')
      }
      break
    case 'int32':
    case 'double': {
      const n = Number(text)
      if (text.trim() === '' || !Number.isFinite(n)) throw bad(where, serde, 'is not a number')
      value = n
      break
    }
    case 'int64':
      try {
        value = BigInt(text)
      } catch {
        throw bad(where, serde, 'is not an integer')
      }
      break
    case 'buffer':
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw bad(where, serde, 'is not base64')
      return Buffer.from(text, 'base64')
  }
  try {
    return Serdes.byName(serde).serialize(value as never, '')
  } catch (error) {
    throw new StreamfoldError('CONFIG_INVALID', `${where}: the ${serde} serde cannot write it`, { cause: error })
  }
}

/** The text form of stored bytes, or a placeholder saying why there is none. */
export function decodeBytes(serde: SerdeName, bytes: Buffer | null, topic: string): string {
  if (bytes === null) return 'null'
  if (serde === 'buffer') return bytes.toString('base64')
  let value: unknown
  try {
    value = Serdes.byName(serde).deserialize(bytes, topic)
  } catch {
    return `<not ${serde}: ${bytes.length} bytes>`
  }
  if (typeof value === 'string') return value
  if (typeof value === 'number' || typeof value === 'bigint') return String(value)
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'undefined'
}

function bad(where: string, serde: SerdeName, what: string): StreamfoldError {
  return new StreamfoldError('CONFIG_INVALID', `${where}: the text ${what}, as the ${serde} serde needs`)
}
