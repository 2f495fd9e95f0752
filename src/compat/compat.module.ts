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
import { EphemeralHandler } from './ephemeral.handler';
import { ScalableK8sBackendServiceController } from './scalable-k8s-backend-service.controller';

/**
 * In every role: the feature services compat uses and the `ephemeral.process` task handler (the
 * worker role runs it, so it cannot live with the controllers).
 */
@Module({
  imports: [CounterCoreModule, TasksCoreModule, IngestCoreModule, EksCoreModule],
  providers: [EphemeralHandler],
  exports: [CounterCoreModule, TasksCoreModule, IngestCoreModule, EksCoreModule],
})
export class CompatCoreModule {}

/**
 * Routes of the five replaced services, kept so their clients work unchanged: thin controllers
 * (one file per seed) over the feature services, marked deprecated in the OpenAPI document.
 * They only exist where the API is served.
 */
@Module({})
export class CompatModule {
  static forRole(role: AppRole): DynamicModule {
    return roleModule(CompatModule, role, {
      core: CompatCoreModule,
      controllers: [
        CounterApiController,
        EphemeralBackendController,
        ScalableK8sBackendServiceController,
        EksApiCompatController,
      ],
    });
  }
}
