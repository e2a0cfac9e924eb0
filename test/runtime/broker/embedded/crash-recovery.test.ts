/**
 * A real child process writes to a durable embedded broker and is killed with SIGKILL mid-work:
 * after reopening the data directory, everything it reported as acknowledged is there, and the
 * transaction it left open is aborted (invisible to read_committed, never blocking the LSO).
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { BrokerRecord, IsolationLevel } from '../../../../src/runtime/broker/broker'
import { createEmbeddedBroker, type EmbeddedBroker } from '../../../../src/runtime/broker/embedded/embedded-broker'

const ROOT = resolve(__dirname, '../../../..')

interface Acknowledged {
  acked: number
  committed: number
  offset: number
  open: boolean
}

/** Runs the fixture until `enough(progress)`, then SIGKILLs it; resolves with the last progress. */
function runAndKill(dataDir: string, enough: (a: Acknowledged) => boolean): Promise<Acknowledged> {
  const child = spawn(process.execPath, ['--require', join(ROOT, 'test/support/ts-register.js'), join(__dirname, 'fixtures/crash-producer.ts'), dataDir], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const progress: Acknowledged = { acked: 0, committed: 0, offset: 0, open: false }
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  return new Promise((resolvePromise, reject) => {
    const lines = createInterface({ input: child.stdout })
    lines.on('line', (line) => {
      const [what, n] = line.split(' ')
      if (what === 'acked') progress.acked = Number(n)
      else if (what === 'committed') progress.committed = Number(n)
      else if (what === 'offset') progress.offset = Number(n)
      else if (what === 'open') progress.open = true
      // SIGKILL right after a line: the child is mid-way through its next write.
      if (enough(progress) && child.exitCode === null) child.kill('SIGKILL')
    })
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolvePromise({ ...progress })
      else reject(new Error(`fixture exited with ${code}: ${stderr}`))
    })
  })
}

async function readAll(broker: EmbeddedBroker, topic: string, partition: number, isolationLevel: IsolationLevel): Promise<BrokerRecord[]> {
  const out: BrokerRecord[] = []
  await broker.reader().readToEnd({ topic, partition, offset: 0 }, (batch) => void out.push(...batch), { isolationLevel })
  return out
}

describe('embedded broker after SIGKILL', () => {
  let dataDir: string
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'streamfold-crash-'))
  })
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true })
  })

  it('keeps every acknowledged record, commit and offset, and aborts the open transaction', async () => {
    const acked = await runAndKill(dataDir, (p) => p.open && p.committed >= 6)
    const broker = await createEmbeddedBroker({ dataDir, cleanerIntervalMs: 0 })
    try {
      const plain = await readAll(broker, 'plain', 0, 'read_uncommitted')
      expect(plain.length).toBeGreaterThanOrEqual(acked.acked)
      plain.forEach((r, i) => {
        expect(r.offset).toBe(i)
        expect(r.value!.toString().split('|')[0]).toBe(`v${i}`)
      })

      const txRecords = [...(await readAll(broker, 'tx', 0, 'read_committed')), ...(await readAll(broker, 'tx', 1, 'read_committed'))]
      const txValues = new Set(txRecords.map((r) => r.value!.toString()))
      for (let i = 0; i < acked.committed; i++) for (let j = 0; j < 3; j++) expect(txValues.has(`t${i}-${j}`)).toBe(true)
      // Whole transactions only: the one in flight at the kill is all there or not at all.
      expect(txValues.size % 3).toBe(0)

      const [committed] = await broker.admin().committedOffsets('crash-group', [{ topic: 'plain', partition: 0 }])
      expect(committed!.offset).toBeGreaterThanOrEqual(acked.offset)

      // The open transaction: stored (read_uncommitted sees it), aborted on reopen.
      expect((await readAll(broker, 'open', 0, 'read_uncommitted')).map((r) => r.value!.toString())).toEqual(['open-0', 'open-1', 'open-2', 'open-3', 'open-4'])
      expect(await readAll(broker, 'open', 0, 'read_committed')).toEqual([])
      const [lso] = await broker.admin().endOffsets([{ topic: 'open', partition: 0 }], 'read_committed')
      const [hw] = await broker.admin().endOffsets([{ topic: 'open', partition: 0 }], 'read_uncommitted')
      expect(lso!.offset).toBe(hw!.offset)

      // Transactional ids survive too: a new producer for the crashed id gets a new epoch and works.
      const tx = broker.producer({ transactionalId: 'crash-tx' })
      await tx.connect()
      await tx.beginTransaction()
      tx.send({ topic: 'tx', partition: 0, key: null, value: Buffer.from('after'), timestamp: 1, headers: [] })
      await tx.commitTransaction()
      expect((await readAll(broker, 'tx', 0, 'read_committed')).map((r) => r.value!.toString())).toContain('after')
    } finally {
      await broker.close()
    }
  }, 60_000)

  it('survives being killed again and again', async () => {
    let previousEnd = 0
    for (let run = 0; run < 3; run++) {
      // Each run counts its own records from 0, appended after the previous runs' records.
      const acked = await runAndKill(dataDir, (p) => p.acked >= 1_500)
      const broker = await createEmbeddedBroker({ dataDir, cleanerIntervalMs: 0 })
      try {
        const [end] = await broker.admin().endOffsets([{ topic: 'plain', partition: 0 }])
        expect(end!.offset).toBeGreaterThanOrEqual(previousEnd + acked.acked)
        previousEnd = end!.offset
        expect(await readAll(broker, 'open', 0, 'read_committed')).toEqual([])
      } finally {
        await broker.close()
      }
    }
  }, 120_000)
})
