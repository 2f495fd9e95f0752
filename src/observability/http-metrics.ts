import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { counter, histogram } from './metric';

/** Route label for requests no route matched: one series, whatever the path. */
export const UNMATCHED_ROUTE = 'unmatched';

/**
 * HTTP RED metrics from a Fastify onResponse hook, labelled by the route template
 * (`/v1/tasks/:id`), never the raw path, so series stay bounded.
 */
@Injectable()
export class HttpMetrics {
  readonly requests = counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
  });
  readonly duration = histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });

  install(fastify: FastifyInstance): void {
    fastify.addHook('onResponse', (request, reply, done) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status_code: String(reply.statusCode),
      };
      this.requests.inc(labels);
      this.duration.observe(labels, reply.elapsedTime / 1000);
      done();
    });
  }
}
