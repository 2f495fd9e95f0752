import { Injectable } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { counter, histogram, histogramWithExemplars } from './metric';
import { nameServerSpan, sampledTraceId, TRACING } from './tracing/spans';

const TRACE_ID = Symbol('traceId');
type Traced = { [TRACE_ID]?: string };

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
  // With tracing on, each bucket keeps the trace id of its latest sampled request (shown when
  // the scrape asks for OpenMetrics); off, the histogram is the plain one, at no extra cost.
  readonly duration = (TRACING ? histogramWithExemplars : histogram)({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });

  install(fastify: FastifyInstance): void {
    if (TRACING) this.installTracing(fastify);
    else this.installPlain(fastify);
  }

  private installPlain(fastify: FastifyInstance): void {
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

  /** Same metrics, plus: the server span named by route template, and exemplars. */
  private installTracing(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, _reply, done) => {
      nameServerSpan(request.method, request.routeOptions.url);
      (request as Traced)[TRACE_ID] = sampledTraceId(); // onResponse may run outside the span
      done();
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      const labels = {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status_code: String(reply.statusCode),
      };
      this.requests.inc(labels);
      const traceId = (request as Traced)[TRACE_ID];
      this.duration.observe({
        labels,
        value: reply.elapsedTime / 1000,
        exemplarLabels: traceId ? { trace_id: traceId } : {},
      } as never);
      done();
    });
  }
}
