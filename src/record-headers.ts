/** A header as it travels on the wire: Kafka allows the same key more than once. */
export type HeaderEntry = readonly [key: string, value: Buffer]

/**
 * Immutable record headers. Kafka Streams' headers are mutable and shared between the records a
 * processor forwards, which surprises people; here every change returns a new object and the
 * original stays as it was.
 */
export class RecordHeaders implements Iterable<HeaderEntry> {
  static readonly EMPTY = new RecordHeaders([])

  private constructor(private readonly list: readonly HeaderEntry[]) {}

  static from(entries: Iterable<HeaderEntry> | Readonly<Record<string, string | Buffer>> | undefined): RecordHeaders {
    if (entries === undefined) return RecordHeaders.EMPTY
    if (entries instanceof RecordHeaders) return entries
    if (isIterable(entries)) {
      const list = Array.from(entries)
      return list.length === 0 ? RecordHeaders.EMPTY : new RecordHeaders(list)
    }
    const list = Object.entries(entries).map(([k, v]): HeaderEntry => [k, toBuffer(v)])
    return list.length === 0 ? RecordHeaders.EMPTY : new RecordHeaders(list)
  }

  /** Wraps a wire-level list without copying it; the caller must not mutate it afterwards. */
  static wrap(list: readonly HeaderEntry[]): RecordHeaders {
    return list.length === 0 ? RecordHeaders.EMPTY : new RecordHeaders(list)
  }

  get size(): number {
    return this.list.length
  }

  /** The last value for `key`, as Kafka's `lastHeader`. */
  get(key: string): Buffer | undefined {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const entry = this.list[i]!
      if (entry[0] === key) return entry[1]
    }
    return undefined
  }

  /** The last value for `key` decoded as UTF-8. */
  getString(key: string): string | undefined {
    return this.get(key)?.toString('utf8')
  }

  getAll(key: string): Buffer[] {
    return this.list.filter((e) => e[0] === key).map((e) => e[1])
  }

  has(key: string): boolean {
    return this.list.some((e) => e[0] === key)
  }

  /** A copy with one more header (existing ones with the same key stay, as in Kafka). */
  with(key: string, value: string | Buffer): RecordHeaders {
    return new RecordHeaders([...this.list, [key, toBuffer(value)]])
  }

  /** A copy where `key` has exactly this one value. */
  set(key: string, value: string | Buffer): RecordHeaders {
    return new RecordHeaders([...this.list.filter((e) => e[0] !== key), [key, toBuffer(value)]])
  }

  without(key: string): RecordHeaders {
    const list = this.list.filter((e) => e[0] !== key)
    return list.length === this.list.length ? this : RecordHeaders.wrap(list)
  }

  entries(): readonly HeaderEntry[] {
    return this.list
  }

  [Symbol.iterator](): Iterator<HeaderEntry> {
    return this.list[Symbol.iterator]()
  }

  toJSON(): Record<string, string> {
    const out: Record<string, string> = {}
    for (const [k, v] of this.list) out[k] = v.toString('utf8')
    return out
  }
}

function toBuffer(v: string | Buffer): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'utf8') : v
}

function isIterable(x: unknown): x is Iterable<HeaderEntry> {
  return typeof x === 'object' && x !== null && Symbol.iterator in x
}
