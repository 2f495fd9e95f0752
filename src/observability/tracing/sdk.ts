import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage } from 'node:http';
import { diag, DiagLogLevel } from '@opentelemetry/api';
import { AwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { IORedisInstrumentation } from '@opentelemetry/instrumentation-ioredis';
import { PinoInstrumentation } from '@opentelemetry/instrumentation-pino';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationType, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { Span, SpanProcessor } from '@opentelemetry/sdk-trace';
import { QUERY_ATTRIBUTES, REDACTED, scrubQuery, scrubQueryString, URL_ATTRIBUTES } from './scrub';
import { setSelfMetrics } from './self-metrics';

/**
 * The OpenTelemetry Node SDK, started by main.ts before anything else loads, and only when an
 * OTLP endpoint is set (tracing.env.ts). Everything else comes from the standard variables the SDK
 * reads itself: OTEL_EXPORTER_OTLP_ENDPOINT / _PROTOCOL / _HEADERS / _TIMEOUT, OTEL_SERVICE_NAME,
 * OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER / _ARG, OTEL_BSP_* (the export queue's bounds).
 *
 * The instrumentations patch `require`, so with tracing on main.ts loads tsc's unbundled output
 * (dist/bootstrap.traced.js) after this file, never the esbuild bundle.
 */

const MESSAGE_ATTRIBUTES = ['exception.message', 'bullmq.job.failed.reason'];

/** Just before a span ends (still writable): no query string value leaves the process. */
class ScrubQueryStrings implements SpanProcessor {
  onStart(): void {}
  onEnding(span: Span): void {
    for (const key of URL_ATTRIBUTES) {
      const v = span.attributes[key];
      if (typeof v === 'string' && v.includes('?')) span.setAttribute(key, scrubQuery(v));
    }
    for (const key of QUERY_ATTRIBUTES) {
      const v = span.attributes[key];
      if (typeof v === 'string' && v !== '') span.setAttribute(key, scrubQueryString(v));
    }
    // An error's message may quote caller input (a task's error, a validation message): events
    // (`exception`, BullMQ's `job failed`) keep the error's type and where it was thrown, not what it said.
    for (const event of span.events) {
      const attrs = event.attributes as Record<string, unknown> | undefined;
      if (!attrs) continue;
      for (const key of MESSAGE_ATTRIBUTES) if (attrs[key] !== undefined) attrs[key] = REDACTED;
      const stack = attrs['exception.stacktrace'];
      if (typeof stack === 'string')
        attrs['exception.stacktrace'] = stack
          .split('\n')
          .filter((l) => /^\s+at /.test(l))
          .join('\n');
    }
  }
  onEnd(): void {}
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** A metric reader read at scrape time: the SDK's own counters reach /metrics through it. */
class PullReader extends MetricReader {
  protected onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected onShutdown(): Promise<void> {
    return Promise.resolve();
  }
  async read(): Promise<ResourceMetrics> {
    return (await this.collect()).resourceMetrics;
  }
}

/** Probes and scrapes would be most of the traces and say nothing. */
const UNTRACED = /^\/(health(\/|$|\?)|metrics(\?|$))/;

function version(): string {
  try {
    const pkg = join(__dirname, '..', '..', '..', 'package.json');
    return (JSON.parse(readFileSync(pkg, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/**
 * The SDK's own warnings (export failed, spans dropped) as one JSON line each, like the app's
 * logs, and each distinct message at most once a minute: a collector that is down must not
 * flood the log.
 */
function sdkLog() {
  const last = new Map<string, number>();
  const write =
    (level: number) =>
    (message: string, ...args: unknown[]) => {
      const detail = args.map((a) =>
        a instanceof Error ? a.message : ((a as { message?: string })?.message ?? String(a)),
      );
      const msg = [message, ...detail].join(' ').slice(0, 500);
      const key = msg.slice(0, 80);
      const now = Date.now();
      if (now - (last.get(key) ?? 0) < 60_000) return;
      last.set(key, now);
      process.stderr.write(
        `${JSON.stringify({ level, time: new Date(now).toISOString(), pid: process.pid, context: 'OpenTelemetry', msg })}\n`,
      );
    };
  const none = () => {};
  return { error: write(50), warn: write(40), info: none, debug: none, verbose: none };
}

export function startTracing(): void {
  // The SDK's own metrics (spans processed, dropped when the queue is full, queue size) feed
  // /metrics; logs are written by pino to stdout, not sent over OTLP.
  process.env.OTEL_NODE_EXPERIMENTAL_SDK_METRICS ??= 'true';
  process.env.OTEL_LOGS_EXPORTER ??= 'none';
  diag.setLogger(sdkLog(), DiagLogLevel.WARN);
  const reader = new PullReader();
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME ? undefined : 'platform-api',
    resource: resourceFromAttributes({ 'service.version': version() }),
    metricReaders: [reader],
    // Only the SDK's own instruments: the instrumentations' HTTP/DB metrics would duplicate
    // prom-client's and cost CPU on every request.
    views: [
      ...[
        '@opentelemetry/instrumentation-http',
        '@opentelemetry/instrumentation-undici',
        '@opentelemetry/instrumentation-ioredis',
        '@opentelemetry/instrumentation-aws-sdk',
        '@opentelemetry/instrumentation-pino',
        'platform-api',
      ].map((meterName) => ({ meterName, aggregation: { type: AggregationType.DROP } })),
    ],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED.test(req.url ?? ''),
        // Outgoing HTTP is traced where it has a meaning: the AWS SDK and fetch (Kubernetes).
        disableOutgoingRequestInstrumentation: true,
      }),
      new UndiciInstrumentation({ requireParentforSpans: true }),
      // Command names only: arguments carry keys, payloads and job data.
      new IORedisInstrumentation({ requireParentSpan: true, dbStatementSerializer: (cmd) => cmd }),
      new AwsInstrumentation({ suppressInternalInstrumentation: true }),
      new PinoInstrumentation({ disableLogSending: true }),
    ],
  });
  sdk.start();
  // NodeSDK builds the batch span processor from the OTEL_BSP_* variables; the scrubber joins it
  // (every processor's onEnding runs before any onEnd, so its place in the list does not matter).
  addScrubber();
  setSelfMetrics(() => reader.read());
}

/** Adds the scrubber to the processors NodeSDK registered (NodeSDK takes env processors or ours, not both). */
function addScrubber(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { trace } = require('@opentelemetry/api') as typeof import('@opentelemetry/api');
  const provider = (
    trace.getTracerProvider() as unknown as { getDelegate(): unknown }
  ).getDelegate() as {
    _activeSpanProcessor?: { _spanProcessors?: SpanProcessor[] };
  };
  const processors = provider._activeSpanProcessor?._spanProcessors;
  if (!processors) throw new Error('tracing: cannot find the SDK span processors');
  processors.push(new ScrubQueryStrings());
}
