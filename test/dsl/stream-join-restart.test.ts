/**
 * A left/outer stream-stream join's waiting (unmatched) records after a crash: the in-memory
 * store is rebuilt from its changelog with only what was committed, and the emission queue from
 * that store, so nothing is lost, repeated, or emitted after it was matched.
 */
import { JoinWindows, Serdes, StreamBuilder } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'
import { rows } from './support/driver-kit'

const str = Serdes.string()

function outerJoinDriver(): TopologyTestDriver {
  const b = new StreamBuilder()
  const left = b.stream('left', { key: str, value: str })
  left.outerJoin(b.stream('right', { key: str, value: str }), (_k, l, r) => `${l}+${r}`, JoinWindows.ofTimeDifferenceWithNoGrace(100), { name: 'j' }).to('out', { key: str, value: str })
  return new TopologyTestDriver(b.build(), { initialWallClockTimeMs: 0, autoCommit: false })
}

test.each([false, true])('a crash (mid-commit: %s) brings the waiting records back to the last commit, emitted later in Kafka order', async (midCommit) => {
  const driver = outerJoinDriver()
  try {
    const left = driver.createInputTopic('left', str, str)
    const right = driver.createInputTopic('right', str, str)
    const out = driver.createOutputTopic('out', str, str)
    // Held, and committed: out of time order, both sides, two at one time.
    left.pipeInput('k5', 'L5', 50)
    right.pipeInput('k3', 'R3', 30)
    left.pipeInput('k1', 'L1', 30)
    left.pipeInput('k0', 'L0', 0)
    right.pipeInput('k2', 'R2', 30)
    driver.commit()
    // Not committed: a match removes L0, a new record waits. Lost in the crash, redelivered below.
    const uncommitted = (): void => {
      right.pipeInput('k0', 'R0', 10)
      left.pipeInput('k9', 'L9', 60)
    }
    uncommitted()
    expect(rows(out)).toEqual([['k0', 'L0+R0', 10]])
    await driver.simulateCrash({ midCommit })
    uncommitted()
    expect(rows(out)).toEqual([['k0', 'L0+R0', 10]])
    left.pipeInput('bump', 'B', 1_000)
    // By time, right before left at one time, then by key; L0 was matched, so it never comes out.
    expect(rows(out)).toEqual([
      ['k2', 'null+R2', 30],
      ['k3', 'null+R3', 30],
      ['k1', 'L1+null', 30],
      ['k5', 'L5+null', 50],
      ['k9', 'L9+null', 60],
    ])
    expect(await driver.getKeyValueStore('j-outer-shared-join-store').approximateNumEntries()).toBe(1) // B waits
  } finally {
    driver.close()
  }
})
