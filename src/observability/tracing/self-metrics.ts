import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { counter, gauge } from '../metric';

/**
 * The SDK's own counters on /metrics (tracing on only): spans exported, dropped because the
 * export queue was full (`error_type="queue_full"`), or failed to export (`error_type` = the
 * error), and the queue's size and capacity. Read from the SDK at scrape time.
 */
type Read = () => Promise<ResourceMetrics>;
let read: Read | undefined;

export function setSelfMetrics(r: Read): void {
  read = r;
}

interface Point {
  attributes: Record<string, unknown>;
  value: unknown;
}

async function points(name: string): Promise<Point[]> {
  if (!read) return [];
  const rm = await read();
  return rm.scopeMetrics
    .flatMap((s) => s.metrics)
    .filter((m) => m.descriptor.name === name)
    .flatMap((m) => m.dataPoints as Point[]);
}

export function registerTracingMetrics(): void {
  counter({
    name: 'otel_sdk_processor_span_processed_total',
    help: 'Spans the OpenTelemetry SDK finished with: exported (error_type=""), dropped with a full queue (queue_full) or failed to export',
    labelNames: ['error_type'] as const,
    async collect() {
      this.reset();
      for (const p of await points('otel.sdk.processor.span.processed'))
        this.inc({ error_type: String(p.attributes['error.type'] ?? '') }, Number(p.value));
    },
  });
  gauge({
    name: 'otel_sdk_processor_span_queue_size',
    help: 'Spans waiting in the OpenTelemetry SDK export queue (bounded by OTEL_BSP_MAX_QUEUE_SIZE)',
    async collect() {
      this.set(
        (await points('otel.sdk.processor.span.queue.size')).reduce(
          (n, p) => n + Number(p.value),
          0,
        ),
      );
    },
  });
}
