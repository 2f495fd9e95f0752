import { Global, Module } from '@nestjs/common';
import { HttpMetrics } from './http-metrics';
import { ensureDefaultMetrics } from './metric';

@Global()
@Module({
  providers: [HttpMetrics],
  exports: [HttpMetrics],
})
export class ObservabilityModule {
  constructor() {
    ensureDefaultMetrics();
  }
}
