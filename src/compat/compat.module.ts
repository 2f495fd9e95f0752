import { Module, type DynamicModule } from '@nestjs/common';
import type { AppRole } from '../config';
import { IngestCoreModule } from '../ingest';
import { ScalableK8sBackendServiceController } from './scalable-k8s-backend-service.controller';

/**
 * Routes of the five replaced services, kept so their clients work unchanged: thin controllers
 * (one file per seed) over the feature services, marked deprecated in the OpenAPI document.
 * They only exist where the API is served.
 */
@Module({})
export class CompatModule {
  static forRole(role: AppRole): DynamicModule {
    const servesApi = role !== 'worker';
    return {
      module: CompatModule,
      imports: [IngestCoreModule],
      controllers: servesApi ? [ScalableK8sBackendServiceController] : [],
    };
  }
}
