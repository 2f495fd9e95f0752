import { Module, type DynamicModule } from '@nestjs/common';
import type { AppRole } from '../config';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';
import { NamespacesController } from './namespaces.controller';
import { NamespacesService } from './namespaces.service';

/** The services, importable (once, statically) by compat without registering the routes again. */
@Module({
  providers: [NamespacesService, JobsService],
  exports: [NamespacesService, JobsService],
})
export class EksCoreModule {}

/** Kubernetes jobs and namespaces; the Kubernetes client itself comes from infra/kubernetes. */
@Module({})
export class EksModule {
  static forRole(role: AppRole): DynamicModule {
    return {
      module: EksModule,
      imports: [EksCoreModule],
      controllers: role !== 'worker' ? [NamespacesController, JobsController] : [],
      exports: [EksCoreModule],
    };
  }
}
