import type { StreamRecord } from '../../processors/stream-record'

/** A node instantiated for one task: sources, processors and sinks all receive records this way. */
export interface RuntimeNode {
  readonly name: string
  process(record: StreamRecord<unknown, unknown>): void
}
