/**
 * A key's items in the timed engine's index (timed-bytes-store.ts): fixed-width binary strings,
 * kept sorted, where binary order is time order (binary-key.ts). Two forms: as stored, one value
 * with the items concatenated, and decoded, a string array (key-indexes.ts). Lookups
 * binary-search either form in place, so finding a time among a hot key's many items costs
 * O(log n), with no decoding of every item.
 */
import { timeToBinary } from './binary-key'

/** What lookups need of either form (a string array is one). */
export interface ItemList {
  readonly length: number
  at(index: number): string | undefined
}

/** The stored form, read in place: an item is decoded only when it is looked at. */
export class StoredItems implements ItemList {
  readonly length: number

  constructor(
    private readonly bytes: Buffer | undefined,
    private readonly width: number,
  ) {
    this.length = bytes === undefined ? 0 : Math.floor(bytes.length / width)
  }

  at(index: number): string | undefined {
    if (index < 0 || index >= this.length) return undefined
    const start = index * this.width
    return this.bytes!.toString('latin1', start, start + this.width)
  }
}

/** The first index whose item is >= `target`. */
export function lowerBound(items: ItemList, target: string): number {
  let low = 0
  let high = items.length
  while (low < high) {
    const mid = (low + high) >>> 1
    if (items.at(mid)! < target) low = mid + 1
    else high = mid
  }
  return low
}

/**
 * The first index whose item's time (its first component) is at or after `time`. Item times are
 * integers (timeToBinary encodes whole milliseconds), so a fractional bound rounds up; -Infinity
 * and NaN bound nothing, as the comparisons they replace (`time < from`) did.
 */
export function firstAtOrAfter(items: ItemList, time: number): number {
  if (!(time > Number.MIN_SAFE_INTEGER)) return 0
  if (time > Number.MAX_SAFE_INTEGER) return items.length
  return lowerBound(items, timeToBinary(Math.ceil(time)))
}

/** The first index whose item's time is after `time`: the first live item for an expiry cutoff. */
export function firstAfter(items: ItemList, time: number): number {
  return time === Number.NEGATIVE_INFINITY ? 0 : firstAtOrAfter(items, Math.floor(time) + 1)
}

/** Adds `item` in order, unless it is there; returns whether it was added. */
export function insertItem(items: string[], item: string): boolean {
  const last = items[items.length - 1]
  // Records mostly arrive in time order: their item goes last.
  if (last === undefined || last < item) {
    items.push(item)
    return true
  }
  const i = lowerBound(items, item)
  if (items[i] === item) return false
  items.splice(i, 0, item)
  return true
}

/** Removes `item`; returns whether it was there. */
export function removeItem(items: string[], item: string): boolean {
  const i = lowerBound(items, item)
  if (items[i] !== item) return false
  items.splice(i, 1)
  return true
}

/** The stored form decoded. */
export function splitItems(bytes: Buffer | undefined, width: number): string[] {
  if (bytes === undefined) return []
  const all = bytes.toString('latin1')
  const items: string[] = []
  for (let i = 0; i + width <= all.length; i += width) items.push(all.slice(i, i + width))
  return items
}

/** `items` from index `from` on, in the stored form; null when that is none. */
export function joinItems(items: readonly string[], from: number): Buffer | null {
  if (from >= items.length) return null
  return Buffer.from(from === 0 ? items.join('') : items.slice(from).join(''), 'latin1')
}
