/**
 * How one task database is divided (docs/state.md, "Disk layout"). Every store owns the keys
 * starting with `!<store name>!`, the same shape abstract-level sublevels use; `__meta` and
 * `__dedup` are reserved the same way. Store names cannot contain `!` or start with `__`, so no
 * prefix is a prefix of another and user stores never collide with reserved ones.
 */
import { StreamfoldError } from '../errors'

export const META_PREFIX = '!__meta!'
export const DEDUP_PREFIX = '!__dedup!'

/** `__meta` key holding the layout version; a database with another version is not trusted. */
export const FORMAT_KEY = `${META_PREFIX}format`
export const FORMAT_VERSION = '1'

/** `__meta` keys `cl!<store>` hold `<partition>:<next changelog offset>`. */
export const CHANGELOG_OFFSET_PREFIX = `${META_PREFIX}cl!`
/** `__dedup` keys `o!<topic>!<partition>` hold the next source offset not yet applied. */
export const APPLIED_OFFSET_PREFIX = `${DEDUP_PREFIX}o!`
/** The dedup id window's own keyspace. */
export const DEDUP_IDS_PREFIX = `${DEDUP_PREFIX}i!`

/** The store name of the dedup id window: its changelog is `${applicationId}-__dedup-changelog`. */
export const DEDUP_STORE_NAME = '__dedup'

// Kafka topic characters, since the store name becomes part of the changelog topic name.
const STORE_NAME = /^[A-Za-z0-9._-]{1,200}$/

export function storePrefix(storeName: string): string {
  return `!${storeName}!`
}

export function assertStoreName(name: string): void {
  if (!STORE_NAME.test(name) || name.startsWith('__')) {
    throw new StreamfoldError(
      'CONFIG_INVALID',
      `Invalid state store name "${name}": use 1-200 of [A-Za-z0-9._-], not starting with "__" (reserved)`,
      { store: name },
    )
  }
}
