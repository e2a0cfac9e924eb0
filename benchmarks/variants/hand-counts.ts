/**
 * The count state of the hand-written stateful baselines (port-loops.ts, rdkafka-loops.ts): running
 * counts of the keys changed since the last write, read through that map first and then with
 * `getSync`, and written as ONE LevelDB batch. The tight loop writes after every poll; the
 * changelog/exactly-once ceilings keep the map for a whole commit interval (their state may only
 * reach LevelDB once the transaction holding its outputs has committed) and make their changelog
 * records from it: one per changed key, its last count.
 */
import type { ClassicLevel } from 'classic-level'

export function encodeCount(n: number): Buffer {
  const b = Buffer.allocUnsafe(8)
  b.writeDoubleBE(n, 0)
  return b
}

/** A changelog record of one changed key (the topic is the caller's). */
export interface CountChange {
  readonly key: Buffer
  readonly value: Buffer
  readonly partition: number
}

export class HandCounts {
  private readonly counts = new Map<string, number>()
  /** The input partition (= changelog partition) of every changed key; kept only for a changelog. */
  private readonly partitions = new Map<string, number>()

  constructor(
    private readonly db: ClassicLevel<string, Buffer>,
    private readonly trackPartitions: boolean,
  ) {}

  /** Adds one to the count of `key` and returns it. */
  increment(key: string, partition: number): number {
    let n = this.counts.get(key)
    if (n === undefined) {
      const stored = this.db.getSync(key)
      n = stored === undefined ? 0 : stored.readDoubleBE(0)
    }
    this.counts.set(key, ++n)
    if (this.trackPartitions) this.partitions.set(key, partition)
    return n
  }

  /** One changelog record per key changed since the last write: its last count. */
  changes(): CountChange[] {
    const out: CountChange[] = []
    for (const [key, n] of this.counts) out.push({ key: Buffer.from(key, 'latin1'), value: encodeCount(n), partition: this.partitions.get(key)! })
    return out
  }

  /** Writes the changed counts (and `extra` entries, e.g. consumed offsets) as one batch, then forgets them. */
  async write(extra: ReadonlyArray<readonly [string, Buffer]> = []): Promise<void> {
    const batch = this.db.batch()
    for (const [key, n] of this.counts) batch.put(key, encodeCount(n))
    for (const [key, value] of extra) batch.put(key, value)
    await batch.write()
    this.counts.clear()
    this.partitions.clear()
  }
}

/** The consumed positions as LevelDB entries, written with the state of an exactly-once commit. */
export function offsetEntries(positions: ReadonlyMap<number, number>): Array<readonly [string, Buffer]> {
  return [...positions].map(([partition, offset]) => [`__offset/${partition}`, encodeCount(offset)] as const)
}
