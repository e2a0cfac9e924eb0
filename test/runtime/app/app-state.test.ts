import { AppStateMachine, type AppState } from '../../../src/runtime/app-state'

describe('AppStateMachine', () => {
  it("follows Kafka Streams' transitions and tells listeners", () => {
    const machine = new AppStateMachine()
    const seen: Array<[AppState, AppState]> = []
    machine.onChange((next, previous) => seen.push([previous, next]))
    for (const s of ['REBALANCING', 'RUNNING', 'REBALANCING', 'RUNNING', 'ERROR', 'PENDING_SHUTDOWN', 'NOT_RUNNING'] as const) machine.moveTo(s)
    expect(seen.map(([, next]) => next)).toEqual(['REBALANCING', 'RUNNING', 'REBALANCING', 'RUNNING', 'ERROR', 'PENDING_SHUTDOWN', 'NOT_RUNNING'])
    machine.moveTo('NOT_RUNNING') // staying put is no move
    expect(seen).toHaveLength(7)
  })

  it('refuses moves the diagram does not have', () => {
    const machine = new AppStateMachine()
    expect(() => machine.moveTo('RUNNING')).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }))
    machine.moveTo('PENDING_SHUTDOWN')
    expect(machine.canMoveTo('ERROR')).toBe(false)
    machine.moveTo('NOT_RUNNING')
    expect(() => machine.moveTo('REBALANCING')).toThrow(expect.objectContaining({ code: 'ILLEGAL_STATE' }))
  })
})
