/**
 * Where to end the next piece of a compaction done in pieces (TaskDb.compactRange): LevelDB cannot
 * stop a running CompactRange, so a large range is compacted as consecutive sub-ranges of about
 * `pieceBytes` each, and a close waits only for the piece in progress. The end is found by
 * bisecting between two keys with LevelDB's approximate sizes (table files only, read from their
 * index blocks): a few dozen cheap calls per piece, where reading the keys to count them would
 * cost about as much as the compaction. Any end is correct (each piece starts where the previous
 * one ended, the last ends at the range's end, so the pieces cover the range with no gap); the
 * sizes only keep the pieces near `pieceBytes`.
 */

/** Approximate bytes on disk of the keys `gte <= key < lt` (binary strings). */
export type SizeOf = (gte: string, lt: string) => Promise<number>

/** Bisection steps per piece at most: far beyond what distinguishing keys of a few bytes takes. */
const MAX_STEPS = 64

/**
 * The end of the piece that starts at `start`: `lt` when what is left is at most `pieceBytes`,
 * otherwise a key between `low` (a key at or after `start`; the first key of the range for the
 * first piece, so that the keys' shared prefix is not bisected byte by byte) and `high` (the
 * range's last key) holding half to one `pieceBytes` from `start`.
 */
export async function pieceEnd(sizeOf: SizeOf, start: string, low: string, high: string, lt: string, pieceBytes: number): Promise<string> {
  if (low >= high || (await sizeOf(start, lt)) <= pieceBytes) return lt
  const width = Math.max(low.length, high.length) + 1
  let below = toNumber(low, width)
  let above = toNumber(high, width)
  for (let step = 0; step < MAX_STEPS && above - below > 1n; step++) {
    const middle = (below + above) / 2n
    const key = toKey(middle, width)
    const size = await sizeOf(start, key)
    if (size < pieceBytes / 2) below = middle
    else if (size > pieceBytes) above = middle
    else return key
  }
  // No key holds between half and one piece (a single block or key is larger): end past it.
  return toKey(above, width)
}

/** A binary string, padded with zero bytes to `width`, as a number (its bytes big-endian). */
function toNumber(key: string, width: number): bigint {
  return BigInt(`0x${Buffer.from(key.padEnd(width, '\0'), 'latin1').toString('hex')}`)
}

function toKey(n: bigint, width: number): string {
  return Buffer.from(n.toString(16).padStart(width * 2, '0'), 'hex').toString('latin1')
}
