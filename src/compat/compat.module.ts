import { Module, type DynamicModule } from '@nestjs/common';
import { roleModule } from '../common/modules/role-module';
import type { AppRole } from '../config';
import { CounterCoreModule } from '../counter';
import { EksCoreModule } from '../eks';
import { IngestCoreModule } from '../ingest';
import { TasksCoreModule } from '../tasks';
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
    return roleModule(CompatModule, role, {
      core: [CounterCoreModule, TasksCoreModule, IngestCoreModule, EksCoreModule],
      controllers: [
        CounterApiController,
        EphemeralBackendController,
        ScalableK8sBackendServiceController,
        EksApiCompatController,
      ],
    });
  }
}
