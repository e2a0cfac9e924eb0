/**
 * The main job (README command 1). Until the long-lived worker lands, it runs the example
 * topology over the in-memory runtime: it generates page views, pipes them through the same task
 * and processor code a worker runs, and prints what came out where.
 */
import { Serdes } from 'streamfold'
import { TopologyTestDriver } from 'streamfold/testing'
import { pageViewsTopology, TOPICS, type PageView } from './page-views-topology'

const URLS = ['/', '/pricing', '/docs', '/health', '/checkout', '/login']

function generate(count: number, seed: number): Array<{ user: string; view: PageView; at: number }> {
  let state = seed
  const random = (): number => {
    // xorshift: the same events on every run, so the output can be compared between runs.
    state ^= state << 13
    state ^= state >>> 17
    state ^= state << 5
    return (state >>> 0) / 0x1_0000_0000
  }
  const start = Date.UTC(2026, 10, 21, 12, 0, 0)
  return Array.from({ length: count }, (_, i) => ({
    user: `user-${Math.floor(random() * 20)}`,
    view: {
      url: URLS[Math.floor(random() * URLS.length)]!,
      status: random() < 0.08 ? 503 : 200,
      ms: Math.round(random() < 0.15 ? 1000 + random() * 4000 : 20 + random() * 400),
    },
    at: start + i * 250,
  }))
}

function main(): void {
  const topology = pageViewsTopology()
  console.log(topology.describe())
  const driver = new TopologyTestDriver(topology, { applicationId: 'page-views-example' })
  const key = Serdes.string()
  const input = driver.createInputTopic(TOPICS.input, key, Serdes.json<PageView>())
  const events = generate(200, 42)
  for (const { user, view, at } of events) input.pipeInput(user, view, at)

  const errors = driver.createOutputTopic(TOPICS.errors, key, Serdes.json<PageView>()).readKeyValuesToList()
  const slow = driver.createOutputTopic(TOPICS.slow, key, Serdes.json<{ url: string; seconds: number }>()).readKeyValuesToList()
  const clean = driver.createOutputTopic(TOPICS.clean, key, Serdes.json<PageView>()).readKeyValuesToList()
  const dropped = events.length - errors.length - slow.length - clean.length
  console.log(`processed ${events.length} page views from "${TOPICS.input}":`)
  console.log(`  ${errors.length} server errors -> "${TOPICS.errors}"`)
  for (const { key: user, value } of errors.slice(0, 3)) console.log(`      ${user} ${value?.url} ${value?.status}`)
  console.log(`  ${slow.length} slow pages    -> "${TOPICS.slow}"`)
  for (const { key: user, value } of slow.slice(0, 3)) console.log(`      ${user} ${value?.url} ${value?.seconds.toFixed(2)}s`)
  console.log(`  ${clean.length} clean views   -> "${TOPICS.clean}"`)
  console.log(`  ${dropped} health checks dropped`)
  driver.close()
}

main()
