/**
 * Starts librdkafka's mock cluster (a real Kafka-protocol broker on loopback, in memory) in a
 * child process and controls it over its stdin. The child exits when its stdin closes, so it dies
 * with this process however this process ends; an exit hook kills it as well.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { Socket } from 'node:net'
import { createInterface } from 'node:readline'
import { buildMockCluster } from './build-mock-cluster'

export interface MockTopic {
  readonly name: string
  readonly partitions: number
}

export interface MockClusterOptions {
  /** Number of brokers (ids 1..n); 3 by default. */
  readonly brokers?: number
  /** Topics created before `startMockCluster` resolves. */
  readonly topics?: readonly MockTopic[]
}

export interface MockCluster {
  readonly bootstrapServers: string
  /** Creates a topic with exactly this partition count (the mock broker has no CreateTopics API). */
  createTopic(name: string, partitions: number): Promise<void>
  deleteTopic(name: string): Promise<void>
  /** The next `count` Produce requests for this partition fail with this Kafka error code (as the
   *  partition-level error of the response), e.g. 10 MESSAGE_TOO_LARGE, 87 INVALID_RECORD. */
  failProduce(topic: string, partition: number, errorCode: number, count?: number): Promise<void>
  /** The next `count` requests of this API key (2 ListOffsets, 1 Fetch, ...) fail with this error code. */
  failRequests(apiKey: number, errorCode: number, count?: number): Promise<void>
  /** Ends the cluster and waits for its process to exit. Safe to call twice. */
  stop(): Promise<void>
}

const START_TIMEOUT_MS = 10_000
const live = new Set<ChildProcessWithoutNullStreams>()
let exitHookInstalled = false

export async function startMockCluster(options: MockClusterOptions = {}): Promise<MockCluster> {
  const binary = await buildMockCluster()
  const topicArgs = (options.topics ?? []).map((t) => `${t.name}:${t.partitions}`)
  const child = spawn(binary, [String(options.brokers ?? 3), ...topicArgs], { stdio: ['pipe', 'pipe', 'pipe'] })
  track(child)

  const lines = createInterface({ input: child.stdout })
  const waiting: ((line: string) => void)[] = []
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  lines.on('line', (line) => waiting.shift()?.(line))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))

  const nextLine = (timeoutMs: number): Promise<string> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mock cluster did not answer within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs)
      const onExit = (): void => reject(new Error(`mock cluster exited; stderr: ${stderr}`))
      child.once('exit', onExit)
      waiting.push((line) => {
        clearTimeout(timer)
        child.off('exit', onExit)
        resolve(line)
      })
    })

  let bootstrapServers: string
  try {
    const first = await nextLine(START_TIMEOUT_MS)
    if (!first.startsWith('bootstraps ')) throw new Error(`unexpected first line from the mock cluster: ${first}`)
    bootstrapServers = first.slice('bootstraps '.length)
  } catch (error) {
    child.kill('SIGKILL')
    await exited
    throw error
  }
  idle(child)

  // Commands are answered in order; chaining them keeps each answer paired with its command.
  let queue: Promise<unknown> = Promise.resolve()
  const command = (line: string): Promise<void> => {
    const result = queue.then(async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error('mock cluster is stopped')
      busy(child)
      try {
        const answer = nextLine(5_000)
        child.stdin.write(`${line}\n`)
        const reply = await answer
        if (reply !== 'ok') throw new Error(`mock cluster: ${line}: ${reply}`)
      } finally {
        idle(child)
      }
    })
    queue = result.catch(() => undefined)
    return result
  }

  let stopping: Promise<void> | undefined
  return {
    bootstrapServers,
    createTopic: (name, partitions) => command(`create ${name} ${partitions}`),
    deleteTopic: (name) => command(`delete ${name}`),
    failProduce: (topic, partition, errorCode, count = 1) => command(`produce-errors ${topic} ${partition} ${errorCode} ${count}`),
    failRequests: (apiKey, errorCode, count = 1) => command(`request-errors ${apiKey} ${errorCode} ${count}`),
    stop: () => {
      stopping ??= (async () => {
        busy(child)
        child.stdin.end()
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
        await exited
        clearTimeout(timer)
        lines.close()
        live.delete(child)
      })()
      return stopping
    },
  }
}

function track(child: ChildProcessWithoutNullStreams): void {
  live.add(child)
  child.once('exit', () => live.delete(child))
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL')
  })
}

/** A forgotten cluster must not keep jest alive: between commands nothing of it holds the loop. */
function idle(child: ChildProcessWithoutNullStreams): void {
  child.unref()
  for (const s of pipes(child)) s.unref()
}

function busy(child: ChildProcessWithoutNullStreams): void {
  child.ref()
  for (const s of pipes(child)) s.ref()
}

/** Child stdio pipes are net.Sockets at run time, though typed as plain streams. */
function pipes(child: ChildProcessWithoutNullStreams): Socket[] {
  return [child.stdin, child.stdout, child.stderr].filter((s): s is typeof s & Socket => s instanceof Socket)
}
