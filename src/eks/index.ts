export { EksCoreModule, EksModule } from './eks.module';
export { JobsService } from './jobs.service';
export { NamespacesService } from './namespaces.service';
export { KubernetesEnabledGuard } from './kubernetes-enabled.guard';
export type { JobView } from './job.view';
export { KubeErrorResponses } from './eks.errors.decorator';
