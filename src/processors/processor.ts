/**
 * The Processor API: the small typed surface users implement for custom logic (Kafka Streams'
 * `processor.api.Processor`). Built-in DSL operations are processors too.
 */
import type { StreamRecord } from './stream-record'
import type { RecordHeaders } from '../record-headers'

export interface Processor<KIn, VIn, KOut = never, VOut = never> {
  init?(context: ProcessorContext<KOut, VOut>): void
  process(record: StreamRecord<KIn, VIn>): void
  close?(): void
}

/** Creates a fresh processor for each task: two tasks never share a processor object. */
export type ProcessorSupplier<KIn, VIn, KOut = never, VOut = never> = () => Processor<KIn, VIn, KOut, VOut>

export const PUNCTUATION_TYPES = ['stream-time', 'wall-clock'] as const
export type PunctuationType = (typeof PUNCTUATION_TYPES)[number]

/** Called with the stream time or wall-clock time that triggered it. */
export type Punctuator = (timestamp: number) => void

export interface Cancellable {
  cancel(): void
}

/** Where the record being processed came from. Absent inside a punctuator. */
export interface RecordMetadata {
  readonly topic: string
  readonly partition: number
  readonly offset: number
  readonly headers: RecordHeaders
}

export interface ProcessorContext<KOut, VOut> {
  readonly applicationId: string
  /** `${subtopology}_${partition}`, as in Kafka Streams. */
  readonly taskId: string
  /** Sends a record to every child, or only to `childName`. */
  forward(record: StreamRecord<KOut, VOut>, childName?: string): void
  /**
   * Calls `punctuator` every `intervalMs` of stream time (advanced only by record timestamps)
   * or of wall-clock time. Stream-time punctuation is aligned to 0 and fires as soon as stream
   * time is known; wall-clock punctuation fires `intervalMs` after scheduling.
   */
  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable
  /** The current input record's coordinates, or undefined inside a punctuator. */
  recordMetadata(): RecordMetadata | undefined
  /** The largest record timestamp this task has seen (-1 before the first record). */
  currentStreamTimeMs(): number
  currentSystemTimeMs(): number
  /** A state store connected to this processor (see `stores` in the topology). */
  getStateStore<S = unknown>(name: string): S
}
