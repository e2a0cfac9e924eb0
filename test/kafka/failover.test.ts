import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import path from 'node:path'
import { createInterface } from 'node:readline'
import { useMockCluster } from '../support/mock-cluster/use-mock-cluster'
import { brokerPerTest, FAST_GROUP, groupOptions, outgoing, pollUntil, rebalanceLog } from './kafka-test-kit'

const kafka = useMockCluster()
const ROOT = path.resolve(__dirname, '../..')

/** A group member in a real child process, so it can die by SIGKILL without leaving the group. */
function startMember(group: string, topic: string): { child: ChildProcessWithoutNullStreams; partitions: () => number[]; exited: Promise<unknown> } {
  const child = spawn(
    process.execPath,
    ['--require', path.join(ROOT, 'test/support/ts-register.js'), path.join(__dirname, 'fixtures/group-member.ts'), kafka.bootstrapServers, group, topic],
    { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  )
  let latest: number[] = []
  createInterface({ input: child.stdout }).on('line', (line) => {
    latest = (JSON.parse(line) as { partitions: number[] }).partitions
  })
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, stderr })))
  return { child, partitions: () => latest, exited }
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string, tick?: () => Promise<unknown>): Promise<number> {
  const started = Date.now()
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await (tick?.() ?? new Promise((r) => setTimeout(r, 50)))
  }
  return Date.now() - started
}

describe('Kafka adapter: failover on the mock cluster', () => {
  const broker = brokerPerTest(kafka)

  it('gives a SIGKILLed member\'s partitions to the survivor after about the session timeout', async () => {
    const topic = kafka.uniqueTopic('failover')
    await kafka.createTopic(topic, 4)
    const group = kafka.uniqueTopic('g')
    const member = startMember(group, topic)
    try {
      await waitFor(() => member.partitions().length === 4, 20_000, 'the child to own all partitions')

      const lost: number[] = []
      const survivor = broker().consumer(groupOptions(group))
      await survivor.subscribe([topic], rebalanceLog({ onLost: (ps) => void lost.push(...ps.map((p) => p.partition)) }))
      const tick = (): Promise<unknown> => survivor.poll(100, 100)
      await waitFor(() => survivor.assignment().length === 2 && member.partitions().length === 2, 20_000, 'a 2/2 split', tick)
      const childOwned = member.partitions()

      member.child.kill('SIGKILL')
      await member.exited
      const took = await waitFor(() => survivor.assignment().length === 4, 20_000, 'the survivor to take over', tick)
      // Detection needs the session timeout; the mock then waits up to session - 1 s for rejoins.
      expect(took).toBeGreaterThan(FAST_GROUP.sessionTimeoutMs - 1_000)
      expect(took).toBeLessThan(6 * FAST_GROUP.sessionTimeoutMs)
      expect(lost).toEqual([])

      // The taken-over partitions deliver to the survivor.
      const producer = broker().producer()
      await producer.connect()
      for (const partition of childOwned) producer.send(outgoing(topic, 'k', `after-${partition}`, { partition }))
      await producer.flush()
      const records = await pollUntil([survivor], (r) => r.length >= childOwned.length)
      expect(records.map((r) => r.partition).sort()).toEqual([...childOwned].sort())
    } finally {
      member.child.kill('SIGKILL')
      await member.exited
    }
  }, 60_000)
})
