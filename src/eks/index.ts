export { EksCoreModule, EksModule } from './eks.module';
export { JobsService } from './jobs.service';
export { NamespacesService } from './namespaces.service';
export type { JobView } from './job.view';
