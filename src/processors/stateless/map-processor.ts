import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { KeyValuePair, StreamRecord } from '../stream-record'

/**
 * map, mapValues and selectKey: one record in, one record out, timestamp and headers kept.
 * Each is a separate small class so the hot path has no branch on "which kind of map".
 */
export function mapProcessor<K, V, KR, VR>(mapper: (key: K, value: V) => KeyValuePair<KR, VR>): ProcessorSupplier<K, V, KR, VR> {
  return () => new MapProcessor(mapper)
}

export function mapValuesProcessor<K, V, VR>(mapper: (key: K, value: V) => VR): ProcessorSupplier<K, V, K, VR> {
  return () => new MapValuesProcessor(mapper)
}

export function selectKeyProcessor<K, V, KR>(mapper: (key: K, value: V) => KR): ProcessorSupplier<K, V, KR, V> {
  return () => new SelectKeyProcessor(mapper)
}

class MapProcessor<K, V, KR, VR> implements Processor<K, V, KR, VR> {
  private context!: ProcessorContext<KR, VR>
  constructor(private readonly mapper: (key: K, value: V) => KeyValuePair<KR, VR>) {}
  init(context: ProcessorContext<KR, VR>): void {
    this.context = context
  }
  process(record: StreamRecord<K, V>): void {
    const [key, value] = this.mapper(record.key, record.value)
    this.context.forward({ key, value, timestamp: record.timestamp, headers: record.headers })
  }
}

class MapValuesProcessor<K, V, VR> implements Processor<K, V, K, VR> {
  private context!: ProcessorContext<K, VR>
  constructor(private readonly mapper: (key: K, value: V) => VR) {}
  init(context: ProcessorContext<K, VR>): void {
    this.context = context
  }
  process(record: StreamRecord<K, V>): void {
    const value = this.mapper(record.key, record.value)
    this.context.forward({ key: record.key, value, timestamp: record.timestamp, headers: record.headers })
  }
}

class SelectKeyProcessor<K, V, KR> implements Processor<K, V, KR, V> {
  private context!: ProcessorContext<KR, V>
  constructor(private readonly mapper: (key: K, value: V) => KR) {}
  init(context: ProcessorContext<KR, V>): void {
    this.context = context
  }
  process(record: StreamRecord<K, V>): void {
    const key = this.mapper(record.key, record.value)
    this.context.forward({ key, value: record.value, timestamp: record.timestamp, headers: record.headers })
  }
}
