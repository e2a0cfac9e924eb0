import { ProcessingError } from '../errors'

export type SerdeFailureCode = 'SERIALIZATION_FAILED' | 'DESERIALIZATION_FAILED'

/**
 * The error every built-in serde throws. The reason is composed by the serde from fixed phrases,
 * sizes and type names only: never from the data, and never from an underlying library's message
 * or as its `cause`, because those quote the data (JSON.parse in Node 20 echoes its input, msgpackr
 * echoes trailing bytes) and serde errors end up in logs and dead-letter headers.
 */
export function serdeFailure(
  code: SerdeFailureCode,
  serde: string,
  reason: string,
  topic: string | undefined,
): ProcessingError {
  // Internal encodings (state, changelog) have no topic; an empty one names nothing useful.
  return new ProcessingError(code, `${serde} serde ${reason}`, topic ? { topic } : {})
}

/** Fixed-width deserializers accept exactly their width: anything else is a different format. */
export function expectByteLength(data: Buffer, expected: number, serde: string, topic: string): void {
  if (data.length !== expected) {
    throw serdeFailure('DESERIALIZATION_FAILED', serde, `expects ${expected} bytes, got ${data.length}`, topic)
  }
}

/** What a rejected input was, for an error message that must not contain the input itself. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'an array'
  if (Buffer.isBuffer(value)) return 'a Buffer'
  if (value instanceof Uint8Array) return 'a Uint8Array'
  const type = typeof value
  if (type === 'undefined') return 'undefined'
  return type === 'object' ? 'an object' : `a ${type}`
}
