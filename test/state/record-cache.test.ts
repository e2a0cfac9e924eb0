import { RecordCache } from '../../src/state/record-cache'

describe('RecordCache', () => {
  it('evicts the least recently used entries to stay within its byte bound', () => {
    const cache = new RecordCache(2000)
    for (let i = 0; i < 100; i++) cache.set(`k${i}`, Buffer.alloc(10))
    expect(cache.sizeBytes).toBeLessThanOrEqual(2000)
    expect(cache.get('k0')).toBeUndefined()
    expect(cache.get('k99')).toEqual(Buffer.alloc(10))
  })

  it('keeps recently read keys and caches known absences as null', () => {
    const cache = new RecordCache(3000)
    cache.set('hot', Buffer.from('v'))
    cache.set('missing', null)
    for (let i = 0; i < 20; i++) {
      cache.set(`cold${i}`, Buffer.alloc(1))
      expect(cache.get('hot')).toEqual(Buffer.from('v'))
    }
    expect(cache.get('cold0')).toBeUndefined()
    cache.set('hot', Buffer.from('w'))
    expect(cache.get('hot')).toEqual(Buffer.from('w'))
    cache.delete('hot')
    expect(cache.get('hot')).toBeUndefined()
  })

  it('does not keep an entry larger than the whole cache', () => {
    const cache = new RecordCache(100)
    cache.set('big', Buffer.alloc(1000))
    expect(cache.size).toBe(0)
    expect(cache.sizeBytes).toBe(0)
  })
})
