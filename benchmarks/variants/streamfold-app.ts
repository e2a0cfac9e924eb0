/**
 * Candidate: a StreamsApp running one of the benchmark topologies over the seeded input.
 * Window: first record polled -> the first commit that completes after the last output record
 * was sent (at_least_once: producer flushed, state written, offsets committed; exactly_once: the
 * transaction holding every output committed). Startup, group join and close are outside it, as
 * they are for the baselines.
 */
import path from 'node:path'
import { StreamsApp } from '../../src/index'
import { createLogger } from '../../src/logger'
import { GROUP_TIMING, observe, openBroker } from '../harness/brokers'
import { dataset, datasetBytes } from '../harness/data'
import { startProfile } from '../harness/profiler'
import { printResult, throughput, type RunParams } from '../harness/protocol'
import { buildTopology, expectedOutputs, type TopologyName } from '../harness/topologies'

export async function run(params: RunParams): Promise<void> {
  const topologyName = params.topology as TopologyName
  const guarantee = (params.guarantee as 'at_least_once' | 'exactly_once' | undefined) ?? 'at_least_once'
  const data = dataset({ records: params.records!, keys: params.keys!, distribution: params.distribution! })
  const broker = await openBroker(params)
  const observer = observe(broker)
  const output = params.outputTopic!
  const app = new StreamsApp(buildTopology(topologyName, params.inputTopic!, output), {
    applicationId: String(params.applicationId),
    broker: { instance: broker },
    stateDir: path.join(params.workDir, 'state'),
    processingGuarantee: guarantee,
    commitIntervalMs: Number(params.commitIntervalMs ?? 100),
    logger: createLogger({ level: 'warn', destination: process.stderr }),
    ...GROUP_TIMING,
  })
  const expected = expectedOutputs(topologyName, data)
  const done = observer.committedAfter(output, expected)
  const stopProfile = startProfile()
  await app.start()
  const failed = new Promise<never>((_, reject) => {
    const timer = setInterval(() => {
      if (app.state === 'ERROR') reject(new Error(`app failed: ${String((app.error as Error)?.stack ?? app.error)}`))
    }, 50)
    timer.unref()
  })
  const end = await Promise.race([done, failed])
  await stopProfile()
  const ms = end - observer.firstRecordAt!
  printResult(
    throughput(data.count, datasetBytes(data), ms, {
      guarantee,
      topology: topologyName,
      outputs: observer.sent.get(output) ?? 0,
      commits: observer.commits,
      // Shares of the window spent waiting in poll() and in commit calls (the rest: processing).
      pollShare: Math.round((observer.pollMs / ms) * 100) / 100,
      commitShare: Math.round((observer.commitCallMs / ms) * 100) / 100,
      recordsPerPoll: Math.round(data.count / Math.max(1, observer.nonEmptyPolls)),
      emptyPolls: observer.polls - observer.nonEmptyPolls,
      callMs: Object.fromEntries([...observer.callMs].map(([k, v]) => [k, Math.round(v)])),
    }),
  )
  await app.close({ timeoutMs: 5_000 })
  await Promise.race([broker.close(), new Promise((r) => setTimeout(r, 3_000))])
}
