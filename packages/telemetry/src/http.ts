import http from 'node:http';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/**
 * Serves GET /metrics (the registry plus any extra text, e.g. BullMQ's exportPrometheusMetrics)
 * and GET /healthz. Binds to `host` (127.0.0.1 by default; 0.0.0.0 inside containers).
 */
export function startMetricsServer(opts: {
  /** A prom-client Registry, or anything that renders one (the worker sums its threads' registries). */
  registry: Pick<Registry, 'metrics' | 'contentType'>;
  port: number;
  host?: string;
  extra?: () => Promise<string>;
  healthy?: () => boolean;
}): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      Promise.all([opts.registry.metrics(), opts.extra ? opts.extra() : Promise.resolve('')])
        .then(([own, extra]) => {
          res.writeHead(200, { 'content-type': opts.registry.contentType });
          res.end(extra ? `${own}\n${extra.trimEnd()}\n` : own);
        })
        .catch((err: Error) => {
          res.writeHead(500).end(err.message);
        });
      return;
    }
    if (req.url === '/healthz') {
      const ok = opts.healthy ? opts.healthy() : true;
      res.writeHead(ok ? 200 : 503).end(ok ? 'ok' : 'unhealthy');
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      const a = server.address();
      resolve({
        port: typeof a === 'object' && a ? a.port : opts.port,
        // A scraper mid-request (or a slow client) would otherwise hold the process's
        // shutdown open until it gives up; nothing served here is worth waiting for.
        close: () => {
          const closed = new Promise<void>((r) => server.close(() => r()));
          server.closeAllConnections();
          return closed;
        },
      });
    });
  });
}
