import { StreamfoldError } from '../../errors'

/**
 * Iterates a store of one task while checking, before every step, that the task still runs
 * here. Reads are async and interleave with the app's loop: a rebalance or close() may close the
 * task (and its LevelDB) between two steps. Such an iterator fails with STATE_STORE_MIGRATED
 * (Kafka's StateStoreMigratedException) instead of reading a closed DB; an error the closed DB
 * throws meanwhile is reported the same way.
 */
export async function* guardedIteration<T>(source: AsyncIterable<T>, stillHosted: () => boolean, store: string, taskId: string): AsyncGenerator<T> {
  const migrated = (cause?: unknown): StreamfoldError => storeMigrated(store, taskId, cause)
  const iterator = source[Symbol.asyncIterator]()
  try {
    for (;;) {
      if (!stillHosted()) throw migrated()
      let step: IteratorResult<T>
      try {
        step = await iterator.next()
      } catch (error) {
        if (!stillHosted()) throw migrated(error)
        throw error
      }
      // The task may have closed while next() waited: its answer belongs to a store no longer ours.
      if (!stillHosted()) throw migrated()
      if (step.done === true) return
      yield step.value
    }
  } finally {
    await iterator.return?.().catch(() => undefined)
  }
}

/** Kafka's StateStoreMigratedException: the read outlived the task it was reading. */
export function storeMigrated(store: string, taskId: string, cause?: unknown): StreamfoldError {
  return new StreamfoldError('STATE_STORE_MIGRATED', 'the task holding this store was closed or moved during the read: query again', { store, taskId, cause })
}

/** Each source after the other, as Kafka's composite stores do (no global key order across tasks). */
export async function* concatenated<T>(sources: readonly (() => AsyncIterable<T>)[]): AsyncGenerator<T> {
  for (const source of sources) yield* source()
}
