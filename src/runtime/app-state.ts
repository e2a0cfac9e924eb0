import { StreamfoldError } from '../errors'

/**
 * The life of a StreamsApp, with Kafka Streams' state names:
 *
 *   CREATED --start()--> REBALANCING <--partitions move--> RUNNING
 *      |                     |   \                          |   \
 *      |                     |    +---------fatal error-----+----> ERROR --close()--+
 *      |                     v                              v                       |
 *      +--close()-------> PENDING_SHUTDOWN <---close()------+                       |
 *                            |                                                      |
 *                            v                                                      |
 *                        NOT_RUNNING <----------------------------------------------+
 *
 * REBALANCING: partitions are being (re)assigned, tasks are restoring state or global stores
 * are read to their end; RUNNING: every assigned task is processing (a topology of global stores
 * only: they are read, and followed). ERROR is left only by close().
 */
export const APP_STATES = ['CREATED', 'REBALANCING', 'RUNNING', 'PENDING_SHUTDOWN', 'NOT_RUNNING', 'ERROR'] as const
export type AppState = (typeof APP_STATES)[number]

const TRANSITIONS: Readonly<Record<AppState, readonly AppState[]>> = {
  CREATED: ['REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  REBALANCING: ['RUNNING', 'PENDING_SHUTDOWN', 'ERROR'],
  RUNNING: ['REBALANCING', 'PENDING_SHUTDOWN', 'ERROR'],
  PENDING_SHUTDOWN: ['NOT_RUNNING'],
  NOT_RUNNING: [],
  ERROR: ['PENDING_SHUTDOWN', 'NOT_RUNNING'],
}

export type StateListener = (next: AppState, previous: AppState) => void

export class AppStateMachine {
  private current: AppState = 'CREATED'
  private readonly listeners: StateListener[] = []

  get state(): AppState {
    return this.current
  }

  onChange(listener: StateListener): void {
    this.listeners.push(listener)
  }

  canMoveTo(next: AppState): boolean {
    return TRANSITIONS[this.current].includes(next)
  }

  /** Moves to `next`; a move the diagram does not allow is a bug and throws. */
  moveTo(next: AppState): void {
    if (next === this.current) return
    if (!this.canMoveTo(next)) {
      throw new StreamfoldError('ILLEGAL_STATE', `Cannot move from ${this.current} to ${next}`)
    }
    const previous = this.current
    this.current = next
    for (const listener of this.listeners) listener(next, previous)
  }
}
