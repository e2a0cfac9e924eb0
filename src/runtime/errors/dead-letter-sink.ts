import { StreamfoldError } from '../../errors'
import type { OutgoingRecord } from '../broker/broker'

/**
 * Where dead letters go. The runtime wires it to the app's producer, so a dead letter is part of
 * the open transaction (exactly_once) or flushed before the offsets are committed (at_least_once):
 * a record's offset is never committed without its dead letter, and an aborted batch takes its
 * dead letters with it.
 */
export interface DeadLetterSink {
  send(record: OutgoingRecord): void
}

/**
 * A sink bound once the producer exists: error handlers are configured before the app starts,
 * the producer is created inside start() (and replaced when it is fenced).
 */
export class DeferredDeadLetterSink implements DeadLetterSink {
  private target: DeadLetterSink | undefined

  bind(target: DeadLetterSink): void {
    this.target = target
  }

  get bound(): boolean {
    return this.target !== undefined
  }

  send(record: OutgoingRecord): void {
    if (this.target === undefined) {
      // Failing is the only safe answer: 'continue' without a dead letter would commit past the record.
      throw new StreamfoldError('ILLEGAL_STATE', `dead letter for topic ${record.topic} before the dead-letter sink was connected to a producer`)
    }
    this.target.send(record)
  }
}
