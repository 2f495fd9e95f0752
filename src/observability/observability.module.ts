import { Global, Module } from '@nestjs/common';
import { HttpMetrics } from './http-metrics';
import { ensureDefaultMetrics } from './metric';
import { MetricsServer } from './metrics-server';
import { TRACING } from './tracing/spans';

/** HTTP metrics, and the metrics listener on METRICS_PORT (the /metrics route on PORT is in health). */
@Global()
@Module({
  providers: [HttpMetrics, MetricsServer],
  exports: [HttpMetrics],
})
export class ObservabilityModule {
  constructor() {
    ensureDefaultMetrics();
    if (TRACING) {
      // Loaded only with tracing on: it reads the SDK's own counters.
      type SelfMetrics = typeof import('./tracing/self-metrics');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const selfMetrics: SelfMetrics = require('./tracing/self-metrics');
      selfMetrics.registerTracingMetrics();
    }
  }
}
