import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { HttpMetrics } from './http-metrics';
import { ensureDefaultMetrics } from './metric';
import { MetricsController } from './metrics.controller';
import { TRACING } from './tracing/spans';

@Global()
@Module({
  imports: [
    // Default metrics are registered by ensureDefaultMetrics so a second app in one process
    // (tests) does not collide on names.
    PrometheusModule.register({
      controller: MetricsController,
      defaultMetrics: { enabled: false },
    }),
  ],
  providers: [HttpMetrics],
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
