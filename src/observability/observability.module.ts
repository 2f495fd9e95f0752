import { Global, Module } from '@nestjs/common';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { HttpMetrics } from './http-metrics';
import { ensureDefaultMetrics } from './metric';
import { MetricsController } from './metrics.controller';
import { MetricsServer } from './metrics-server';

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
  providers: [HttpMetrics, MetricsServer],
  exports: [HttpMetrics],
})
export class ObservabilityModule {
  constructor() {
    ensureDefaultMetrics();
  }
}
