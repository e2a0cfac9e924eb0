/**
 * The worker's HTTP endpoints, off unless a port is configured, bound to 127.0.0.1 unless told
 * otherwise (metrics name topics and tasks; exposing them is the operator's decision):
 *
 *   GET /healthz   200 while the app is alive (not ERROR, not shut down), else 503
 *   GET /readyz    200 once every assigned task is restored and processing, else 503
 *   GET /metrics   Prometheus text exposition
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { StreamfoldError } from '../../errors'
import type { Logger } from '../../logger'
import { loggableError } from '../app/loggable-error'

export interface ObservabilityServerOptions {
  /** 0 picks a free port (tests). */
  readonly port: number
  readonly host?: string
  readonly live: () => boolean
  readonly ready: () => boolean
  /** A short word for the probes' bodies, e.g. the app state. */
  readonly status: () => string
  readonly metrics: { render(): Promise<string>; readonly contentType: string }
  readonly logger: Logger
}

export interface ObservabilityServer {
  readonly host: string
  readonly port: number
  close(): Promise<void>
}

export const DEFAULT_OBSERVABILITY_HOST = '127.0.0.1'

export async function startObservabilityServer(options: ObservabilityServerOptions): Promise<ObservabilityServer> {
  const host = options.host ?? DEFAULT_OBSERVABILITY_HOST
  const server = createServer((req, res) => {
    handle(options, req, res).catch((error: unknown) => {
      options.logger.warn({ err: loggableError(error), path: req.url }, 'observability endpoint failed')
      if (!res.headersSent) send(res, 500, 'text/plain', 'internal error\n')
      else res.end()
    })
  })
  // Probes and scrapes are short; do not let an idle keep-alive socket hold shutdown up.
  server.keepAliveTimeout = 1000
  await listen(server, options.port, host)
  const { port } = server.address() as AddressInfo
  options.logger.info({ host, port }, 'observability endpoints: /healthz /readyz /metrics')
  return {
    host,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

async function handle(options: ObservabilityServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD')
    return send(res, 405, 'text/plain', 'method not allowed: use GET\n')
  }
  if (path === '/healthz') return probe(res, options.live(), options.status())
  if (path === '/readyz') return probe(res, options.ready(), options.status())
  if (path === '/metrics') return send(res, 200, options.metrics.contentType, await options.metrics.render())
  send(res, 404, 'text/plain', 'not found: GET /healthz, /readyz or /metrics\n')
}

function probe(res: ServerResponse, ok: boolean, status: string): void {
  send(res, ok ? 200 : 503, 'application/json', `${JSON.stringify({ ok, status })}\n`)
}

function send(res: ServerResponse, code: number, contentType: string, body: string): void {
  res.writeHead(code, { 'Content-Type': contentType, 'Cache-Control': 'no-store' })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(new StreamfoldError('CONFIG_INVALID', `invalid httpPort: cannot listen on ${host}:${port} (${error.code ?? error.message})`, { cause: error }))
    }
    server.once('error', onError)
    server.listen(port, host, () => {
      server.off('error', onError)
      resolve()
    })
  })
}
