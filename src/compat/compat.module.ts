import { Module, type DynamicModule } from '@nestjs/common';
import type { AppRole } from '../config';
import { CounterModule } from '../counter';
import { EksCoreModule } from '../eks';
import { IngestCoreModule } from '../ingest';
import { TasksModule } from '../tasks';
import { CounterApiController } from './counter-api.controller';
import { EksApiCompatController } from './eks-api.controller';
import { EphemeralBackendController } from './ephemeral-backend.controller';
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
      imports: [
        CounterModule.forRole(role),
        TasksModule.forRole(role),
        IngestCoreModule,
        EksCoreModule,
      ],
      controllers: servesApi
        ? [
            CounterApiController,
            EphemeralBackendController,
            ScalableK8sBackendServiceController,
            EksApiCompatController,
          ]
        : [],
    };
  }
}
