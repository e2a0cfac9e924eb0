/**
 * The example topology: routes page-view events. Health checks are dropped, server errors go to
 * `page-errors`, slow pages to `slow-pages`, everything else to `page-views-clean`, each tagged
 * with a header saying which route it took.
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
} as const

export function pageViewsTopology(): Topology {
  const builder = new StreamBuilder()
  const key = Serdes.string()
  const value = Serdes.json<PageView>()
  const branches = builder
    .stream(TOPICS.input, { key, value })
    .filterNot((_userId, view) => view.url === '/health', { name: 'drop-health-checks' })
    .split({ name: 'route-' })
    .branch((_userId, view) => view.status >= 500, { name: 'errors' })
    .branch((_userId, view) => view.ms > 1000, { name: 'slow' })
    .defaultBranch({ name: 'clean' })

  branches['route-errors'].to(TOPICS.errors, { key, value, name: 'to-errors' })
  branches['route-slow']
    .mapValues((_userId, view) => ({ url: view.url, seconds: view.ms / 1000 }), { name: 'to-seconds' })
    .to(TOPICS.slow, { key, value: Serdes.json<{ url: string; seconds: number }>(), name: 'to-slow' })
  branches['route-clean'].to(TOPICS.clean, { key, value, name: 'to-clean' })
  return builder.build()
}
