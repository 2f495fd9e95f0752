import type * as Api from '@opentelemetry/api';
import { tracingRequested } from './tracing.env';

/**
 * The app's side of tracing. Decided once per process from the OTEL_* variables (tracing.env.ts):
 * off, every helper here returns at once and `@opentelemetry/api` is never even loaded (the
 * bundle keeps it external), so the hot paths pay one boolean test.
 */
export const TRACING: boolean = tracingRequested(process.env);

const TRACER = 'platform-api';
let api: typeof Api | undefined;

/** The OpenTelemetry API, loaded on first use (only ever when tracing is on). */
export function otel(): typeof Api {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (api ??= require('@opentelemetry/api') as typeof Api);
}

export type SpanAttributes = Api.Attributes;

export interface SpanOptions {
  kind?: Api.SpanKind;
  links?: Api.Link[];
  /** Parent context; the active one when omitted. */
  parent?: Api.Context;
}

/**
 * Runs `fn` inside a span of ours (idempotency check, pack, policy check...). A failure marks the
 * span as an error with the error's class name only: messages may quote caller input.
 */
export function inSpan<T>(
  name: string,
  attributes: SpanAttributes,
  fn: (span?: Api.Span) => Promise<T>,
  opts: SpanOptions = {},
): Promise<T> {
  if (!TRACING) return fn(undefined);
  const { trace, context, SpanStatusCode } = otel();
  const tracer = trace.getTracer(TRACER);
  return tracer.startActiveSpan(
    name,
    { attributes, kind: opts.kind, links: opts.links },
    opts.parent ?? context.active(),
    async (span) => {
      try {
        return await fn(span);
      } catch (e) {
        span.setAttribute('error.type', (e as Error)?.constructor?.name ?? 'Error');
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw e;
      } finally {
        span.end();
      }
    },
  );
}

/** Sets attributes on the active span (e.g. a task's attempt number on BullMQ's process span). */
export function annotateActiveSpan(attributes: SpanAttributes): void {
  if (!TRACING) return;
  otel().trace.getActiveSpan()?.setAttributes(attributes);
}

/** Marks the active span as failed, by the error's class name only (messages may quote input). */
export function failActiveSpan(e: unknown): void {
  if (!TRACING) return;
  const { trace, SpanStatusCode } = otel();
  const span = trace.getActiveSpan();
  span?.setAttribute('error.type', (e as Error)?.constructor?.name ?? 'Error');
  span?.setStatus({ code: SpanStatusCode.ERROR });
}

/** The trace id of the active span when it is sampled (for exemplars), else undefined. */
export function sampledTraceId(): string | undefined {
  if (!TRACING) return undefined;
  const { trace, TraceFlags } = otel();
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && ctx.traceFlags & TraceFlags.SAMPLED ? ctx.traceId : undefined;
}

/**
 * Names the HTTP server span after the route template (`POST /v1/tasks/:id/retry`): the http
 * instrumentation only knows the method, and the raw path must never become a span name.
 */
export function nameServerSpan(method: string, route: string | undefined): void {
  if (!TRACING || !route) return;
  const span = otel().trace.getActiveSpan();
  if (!span) return;
  span.updateName(`${method} ${route}`);
  span.setAttribute('http.route', route);
}

/** The context a W3C carrier (e.g. SQS message attributes turned into a map) describes. */
export function extractContext(carrier: Record<string, string>): Api.Context {
  const { propagation, ROOT_CONTEXT } = otel();
  return propagation.extract(ROOT_CONTEXT, carrier);
}

/**
 * The active context as BullMQ's telemetry stores it in a job (`opts.telemetry.metadata`: the
 * W3C fields as JSON), for jobs created without Queue.add; undefined when tracing is off.
 */
export function propagationMetadata(): string | undefined {
  if (!TRACING) return undefined;
  const { propagation, context } = otel();
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? JSON.stringify(carrier) : undefined;
}

/** BullMQ's own OpenTelemetry hooks (bullmq-otel), or undefined when tracing is off. */
export function bullTelemetry(): unknown {
  if (!TRACING) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { BullMQOtel } = require('bullmq-otel') as typeof import('bullmq-otel');
  return new BullMQOtel({ tracerName: 'bullmq', enableMetrics: false });
}

/** Flushes and stops the SDK (bounded): spans of the last requests are sent before exit. */
export async function shutdownTracing(timeoutMs = 2000): Promise<void> {
  if (!TRACING) return;
  const provider = otel().trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = provider.getDelegate?.() as { shutdown?: () => Promise<void> } | undefined;
  if (!delegate?.shutdown) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    delegate.shutdown().catch(() => undefined),
    new Promise((r) => (timer = setTimeout(r, timeoutMs))),
  ]);
  clearTimeout(timer);
}
