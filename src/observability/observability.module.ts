import { Global, Module } from '@nestjs/common';
import { HttpMetrics } from './http-metrics';
import { ensureDefaultMetrics } from './metric';
import { MetricsServer } from './metrics-server';

/** HTTP metrics, and the metrics listener on METRICS_PORT (the /metrics route on PORT is in health). */
@Global()
@Module({
  providers: [HttpMetrics, MetricsServer],
  exports: [HttpMetrics],
})
export class ObservabilityModule {
  constructor() {
    ensureDefaultMetrics();
  }
}
