/**
 * Which global store reads which topic, kept in a file beside the global database. The database
 * stores the next offset per topic partition, not per store, so a store renamed between runs (a
 * name given to a table that had none), or a store now reading another topic, would find offsets
 * saying its topic was read while it holds none of it (or rows of another topic): an empty or
 * mixed table for good. Kafka Streams keeps a store's files under its name and refuses a global
 * checkpoint naming a topic no store reads; here a binding the file does not list makes the
 * bootstrap rebuild the global stores.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import type { GlobalStoreSpec } from '../../topology/global-store-spec'

const FILE = 'global-stores.json'

/** `store<-topic` of every global store, sorted. */
export function bindingsOf(specs: readonly GlobalStoreSpec[]): string[] {
  return specs.map((s) => `${s.store.name}<-${s.topic}`).sort()
}

/** The bindings the database was built for; undefined when never written (a new or older database). */
export async function readBindings(dir: string): Promise<string[] | undefined> {
  try {
    const parsed: unknown = JSON.parse(await fs.promises.readFile(path.join(dir, FILE), 'utf8'))
    return Array.isArray(parsed) && parsed.every((b) => typeof b === 'string') ? parsed : undefined
  } catch {
    return undefined
  }
}

/** Written whole or not at all (rename), so a crash never leaves a half file. */
export async function writeBindings(dir: string, bindings: readonly string[]): Promise<void> {
  await fs.promises.mkdir(dir, { recursive: true })
  const tmp = path.join(dir, `${FILE}.tmp`)
  await fs.promises.writeFile(tmp, JSON.stringify(bindings))
  await fs.promises.rename(tmp, path.join(dir, FILE))
}
