import type { Processor, ProcessorContext, ProcessorSupplier } from '../processor'
import type { KeyValuePair, StreamRecord } from '../stream-record'

/** flatMap and flatMapValues: zero or more records out per record in, each with the input's timestamp and headers. */
export function flatMapProcessor<K, V, KR, VR>(
  mapper: (key: K, value: V) => Iterable<KeyValuePair<KR, VR>>,
): ProcessorSupplier<K, V, KR, VR> {
  return () => new FlatMapProcessor(mapper)
}

export function flatMapValuesProcessor<K, V, VR>(mapper: (key: K, value: V) => Iterable<VR>): ProcessorSupplier<K, V, K, VR> {
  return () => new FlatMapValuesProcessor(mapper)
}

class FlatMapProcessor<K, V, KR, VR> implements Processor<K, V, KR, VR> {
  private context!: ProcessorContext<KR, VR>
  constructor(private readonly mapper: (key: K, value: V) => Iterable<KeyValuePair<KR, VR>>) {}
  init(context: ProcessorContext<KR, VR>): void {
    this.context = context
  }
  process(record: StreamRecord<K, V>): void {
    for (const [key, value] of this.mapper(record.key, record.value)) {
      this.context.forward({ key, value, timestamp: record.timestamp, headers: record.headers })
    }
  }
}

class FlatMapValuesProcessor<K, V, VR> implements Processor<K, V, K, VR> {
  private context!: ProcessorContext<K, VR>
  constructor(private readonly mapper: (key: K, value: V) => Iterable<VR>) {}
  init(context: ProcessorContext<K, VR>): void {
    this.context = context
  }
  process(record: StreamRecord<K, V>): void {
    for (const value of this.mapper(record.key, record.value)) {
      this.context.forward({ key: record.key, value, timestamp: record.timestamp, headers: record.headers })
    }
  }
}
