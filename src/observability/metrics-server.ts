import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { appConfig, type AppConfig } from '../config';
import { exposition } from './metrics-exposition';

/**
 * The metrics listener on METRICS_PORT (when not 0): GET /metrics (with `?name=`) and nothing
 * else. A plain node:http server, not a second Fastify app: no auth, rate limit or access log
 * applies to scrapes, and the Service can expose this port to Prometheus without the Ingress ever
 * routing it. It keeps answering while the app drains, and closes with the app.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server?: Server;
  private readonly logger = new Logger('Metrics');

  constructor(@Inject(appConfig.KEY) private readonly app: AppConfig) {}

  /** The bound port (useful when METRICS_PORT is given as an ephemeral port in tests). */
  get port(): number | undefined {
    return (this.server?.address() as AddressInfo | null)?.port;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (this.app.metricsPort === 0) return;
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://metrics');
      const send = (status: number, type: string, body: string) => {
        res.writeHead(status, { 'content-type': type });
        res.end(body);
      };
      if (url.pathname !== '/metrics') return send(404, 'text/plain', 'not found\n');
      if (req.method !== 'GET' && req.method !== 'HEAD')
        return send(405, 'text/plain', 'method not allowed\n');
      const names = url.searchParams.getAll('name');
      exposition(names.length ? names : undefined).then(
        (a) =>
          a.ok ? send(200, a.contentType, a.body) : send(400, 'text/plain', `${a.message}\n`),
        (err: unknown) => send(500, 'text/plain', `${String(err)}\n`),
      );
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.app.metricsPort, this.app.host, () => resolve());
    });
    this.server = server;
    this.logger.log(`metrics on ${this.app.host}:${this.port}/metrics`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}
