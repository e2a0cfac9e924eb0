import { StreamfoldError, type ErrorCode } from '../../src/errors'
import type { Serde } from '../../src/serdes/serde'

/** Put this in bad input; no error message, stack or cause may repeat it. */
export const SECRET = 'SECRET-4f1c9a'

/**
 * Runs `fn` and expects a StreamfoldError with `code` that nowhere quotes `marker`, neither as text
 * nor as the hex of its UTF-8 bytes. Returns the error for further checks.
 */
export function expectSanitizedFailure(fn: () => unknown, code: ErrorCode, marker: string = SECRET): StreamfoldError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(StreamfoldError)
  const error = caught as StreamfoldError
  expect(error.code).toBe(code)
  const markerHex = Buffer.from(marker, 'utf8').toString('hex')
  for (let e: unknown = error; e !== undefined; e = e instanceof Error ? e.cause : undefined) {
    const text = e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e)
    expect(text).not.toContain(marker)
    expect(text).not.toContain(markerHex)
  }
  return error
}

/** mulberry32: a seeded generator, so that a failing property test replays the same numbers. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) | 0
    let t = Math.imul(state ^ (state >>> 15), 1 | state)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Sorting encodings byte-wise (memcmp, LevelDB's order) must give the numeric order. */
export function expectOrderPreserved<T>(serde: Serde<T>, values: readonly T[], compare: (a: T, b: T) => number): void {
  const numeric = [...values].sort(compare)
  const byBytes = values
    .map((value) => serde.serialize(value, 't'))
    .sort(Buffer.compare)
    .map((bytes) => serde.deserialize(bytes, 't'))
  expect(byBytes).toEqual(numeric)
}

/** Serializes then deserializes, the way the engine uses a serde across a topic. */
export function roundTrip<T>(serde: Serde<T>, value: T): T {
  return serde.deserialize(serde.serialize(value, 't'), 't')
}
