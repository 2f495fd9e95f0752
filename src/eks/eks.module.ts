import { Module, type DynamicModule } from '@nestjs/common';
import { roleModule } from '../common/modules/role-module';
import type { AppRole } from '../config';
import { JobsController } from './jobs.controller';
import { JobsService } from './jobs.service';
import { KubernetesEnabledGuard } from './kubernetes-enabled.guard';
import { NamespacesController } from './namespaces.controller';
import { NamespacesService } from './namespaces.service';

/** The services, in every role; compat imports this module, not the routes. */
@Module({
  providers: [NamespacesService, JobsService, KubernetesEnabledGuard],
  exports: [NamespacesService, JobsService, KubernetesEnabledGuard],
})
export class EksCoreModule {}

/** Kubernetes jobs and namespaces; the Kubernetes client itself comes from infra/kubernetes. */
@Module({})
export class EksModule {
  static forRole(role: AppRole): DynamicModule {
    return roleModule(EksModule, role, {
      core: EksCoreModule,
      controllers: [NamespacesController, JobsController],
    });
  }
}
