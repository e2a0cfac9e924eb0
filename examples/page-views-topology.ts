/**
 * The example topology: routes page-view events and counts views per page. Health checks are
 * dropped; server errors go to `page-errors`, slow pages to `slow-pages`, everything else to
 * `page-views-clean`; and every non-health view counts towards its page in the `views-per-page`
 * store, whose updates go to the `views-per-page` topic. Counting by page re-keys the stream
 * (user -> url), so the runtime inserts a repartition topic named after `by-url`.
 */
import { Serdes, StreamBuilder, type Topology } from 'streamfold'

export interface PageView {
  readonly url: string
  readonly status: number
  readonly ms: number
}

export const TOPICS = {
  input: 'page-views',
  errors: 'page-errors',
  slow: 'slow-pages',
  clean: 'page-views-clean',
  counts: 'views-per-page',
} as const

export function pageViewsTopology(): Topology {
  const builder = new StreamBuilder()
  const key = Serdes.string()
  const value = Serdes.json<PageView>()
  const views = builder.stream(TOPICS.input, { key, value }).filterNot((_userId, view) => view.url === '/health', { name: 'drop-health-checks' })
  const branches = views
    .split({ name: 'route-' })
    .branch((_userId, view) => view.status >= 500, { name: 'errors' })
    .branch((_userId, view) => view.ms > 1000, { name: 'slow' })
    .defaultBranch({ name: 'clean' })

  branches['route-errors'].to(TOPICS.errors, { key, value, name: 'to-errors' })
  branches['route-slow']
    .mapValues((_userId, view) => ({ url: view.url, seconds: view.ms / 1000 }), { name: 'to-seconds' })
    .to(TOPICS.slow, { key, value: Serdes.json<{ url: string; seconds: number }>(), name: 'to-slow' })
  branches['route-clean'].to(TOPICS.clean, { key, value, name: 'to-clean' })

  // Store and repartition topic names come from these user-given names: keep them stable.
  views
    .groupBy((_userId, view) => view.url, { key: Serdes.string(), name: 'by-url' })
    .count({ name: 'views-per-page' })
    .toStream()
    .to(TOPICS.counts, { key: Serdes.string(), value: Serdes.double(), name: 'to-counts' })
  return builder.build()
}
