/**
 * Candidate: a StreamsApp running one of the benchmark topologies over the seeded input.
 * Window: first record polled -> the first commit whose offsets cover every input record
 * (at_least_once: outputs flushed, state written, then those offsets committed; exactly_once: the
 * transaction holding the outputs and those offsets committed). CPU time covers the same window. Startup, group join and close are outside it, as
 * they are for the baselines.
 */
import path from 'node:path'
import { StreamsApp } from '../../src/index'
import type { Broker } from '../../src/runtime/broker/broker'
import { createLogger } from '../../src/logger'
import { GROUP_TIMING, observe, openBroker } from '../harness/brokers'
import { dataset, datasetBytes } from '../harness/data'
import { startCpuWindow, startProfile } from '../harness/profiler'
import { printResult, throughput, type RunParams } from '../harness/protocol'
import { buildTopology, expectedOutputs, type TopologyName } from '../harness/topologies'

export async function run(params: RunParams): Promise<void> {
  const topologyName = params.topology as TopologyName
  const guarantee = (params.guarantee as 'at_least_once' | 'exactly_once' | undefined) ?? 'at_least_once'
  const data = dataset({ records: params.records!, keys: params.keys!, distribution: params.distribution! })
  const broker = await openBroker(params)
  const observer = observe(broker)
  const output = params.outputTopic!
  const caching = params.caching !== false
  const tableTopic = params.tableTopic as string | undefined
  const app = new StreamsApp(buildTopology(topologyName, params.inputTopic!, output, { caching, tableTopic }), {
    applicationId: String(params.applicationId),
    broker: { instance: broker },
    stateDir: path.join(params.workDir, 'state'),
    processingGuarantee: guarantee,
    commitIntervalMs: Number(params.commitIntervalMs ?? 100),
    logger: createLogger({ level: 'warn', destination: process.stderr }),
    ...GROUP_TIMING,
  })
  const done = observer.inputCommitted(params.inputTopic!, data.count)
  const stopProfile = startProfile()
  observer.onFirstRecord = startCpuWindow
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
      caching,
      expectedOutputs: expectedOutputs(topologyName, data, caching),
      outputs: await outputsWritten(broker, output, guarantee),
      commits: observer.commits,
      // Shares of the window spent waiting in poll() and in commit calls (the rest: processing).
      pollShare: Math.round((observer.pollMs / ms) * 100) / 100,
      commitShare: Math.round((observer.commitCallMs / ms) * 100) / 100,
      // From the last poll that returned records to the window's end: processing that batch, then
      // waiting for the next commit (up to one interval) and running it. The baselines commit as
      // soon as they know the input ended.
      tailMs: observer.lastRecordAt === undefined ? undefined : Math.round(end - observer.lastRecordAt),
      recordsPerPoll: Math.round(data.count / Math.max(1, observer.nonEmptyPolls)),
      emptyPolls: observer.polls - observer.nonEmptyPolls,
      callMs: Object.fromEntries([...observer.callMs].map(([k, v]) => [k, Math.round(v)])),
    }),
  )
  await app.close({ timeoutMs: 5_000 })
  await Promise.race([broker.close(), new Promise((r) => setTimeout(r, 3_000))])
}

/**
 * Output records on the broker after the window (outside it): the sum of the output partitions'
 * end offsets. Under exactly_once these include one commit marker per transaction and partition,
 * so there it is an upper bound; the figure is a sanity check that the run produced its outputs.
 */
async function outputsWritten(broker: Broker, topic: string, guarantee: string): Promise<number> {
  const admin = broker.admin()
  const partitions = (await admin.partitionCounts([topic])).get(topic) ?? 0
  const ends = await admin.endOffsets(Array.from({ length: partitions }, (_, partition) => ({ topic, partition })), guarantee === 'exactly_once' ? 'read_committed' : 'read_uncommitted')
  return ends.reduce((sum, e) => sum + e.offset, 0)
}
