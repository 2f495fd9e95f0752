import { Global, Module } from '@nestjs/common';
import { HttpMetrics } from './http-metrics';
import { ensureDefaultMetrics } from './metric';
import { TRACING } from './tracing/spans';

@Global()
@Module({
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
