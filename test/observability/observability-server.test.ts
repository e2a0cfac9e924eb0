import { request } from 'node:http'
import { startObservabilityServer, type ObservabilityServer } from '../../src/runtime/observability/observability-server'
import { PrometheusMetrics } from '../../src/runtime/observability/prometheus-metrics'
import { captureLogs } from './support/log-capture'

interface Reply {
  readonly status: number
  readonly type: string | undefined
  readonly body: string
}

function get(port: number, path: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'], body }))
    })
    req.on('error', reject)
    req.end()
  })
}

describe('observability server', () => {
  let server: ObservabilityServer
  let live = true
  let ready = false
  const metrics = new PrometheusMetrics({ processMetrics: false })

  beforeAll(async () => {
    server = await startObservabilityServer({
      port: 0,
      live: () => live,
      ready: () => ready,
      status: () => (ready ? 'RUNNING' : 'REBALANCING'),
      metrics,
      logger: captureLogs().logger,
    })
  })
  afterAll(() => server.close())

  it('binds to 127.0.0.1 on an ephemeral port', () => {
    expect(server.host).toBe('127.0.0.1')
    expect(server.port).toBeGreaterThan(0)
  })

  it('/healthz is 200 while alive, 503 after', async () => {
    expect(await get(server.port, '/healthz')).toEqual({ status: 200, type: 'application/json', body: '{"ok":true,"status":"REBALANCING"}\n' })
    live = false
    expect((await get(server.port, '/healthz')).status).toBe(503)
    live = true
  })

  it('/readyz is 503 until restore is done, then 200', async () => {
    ready = false
    expect(await get(server.port, '/readyz')).toMatchObject({ status: 503, body: '{"ok":false,"status":"REBALANCING"}\n' })
    ready = true
    expect(await get(server.port, '/readyz')).toMatchObject({ status: 200, body: '{"ok":true,"status":"RUNNING"}\n' })
  })

  it('/metrics serves the Prometheus text format', async () => {
    metrics.recordsProcessed('0_0', 42)
    const reply = await get(server.port, '/metrics?x=1')
    expect(reply.status).toBe(200)
    expect(reply.type).toBe(metrics.contentType)
    expect(reply.body).toContain('streamfold_records_processed_total{task="0_0"} 42')
  })

  it('answers 404 for other paths and 405 for other methods, saying what exists', async () => {
    expect(await get(server.port, '/')).toMatchObject({ status: 404, body: 'not found: GET /healthz, /readyz or /metrics\n' })
    expect(await get(server.port, '/metrics', 'POST')).toMatchObject({ status: 405 })
    expect((await get(server.port, '/healthz', 'HEAD')).body).toBe('')
  })

  it('refuses a port in use with CONFIG_INVALID naming it', async () => {
    await expect(
      startObservabilityServer({ port: server.port, live: () => true, ready: () => true, status: () => '', metrics, logger: captureLogs().logger }),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringContaining(`cannot listen on 127.0.0.1:${server.port} (EADDRINUSE)`) })
  })
})
