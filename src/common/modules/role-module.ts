import type { DynamicModule, Provider, Type } from '@nestjs/common';
import type { AppRole } from '../../config';

/** `api` and `all` serve the REST API. */
export const servesApi = (role: AppRole): boolean => role !== 'worker';
/** `worker` and `all` run workers and consumers. */
export const runsWorkers = (role: AppRole): boolean => role !== 'api';

/** What a feature adds around its core module, by role. */
export interface RoleParts {
  /**
   * The feature's core: a static module with its services (and whatever else must exist in every
   * role). Re-exported, so importers of the role module see the core's exports. Other features
   * and compat import the core module itself, never the role module: routes register once.
   */
  core: Type | Type[];
  /** Controllers, only where the API is served. */
  controllers?: Type[];
  /** Providers only where the API is served (e.g. the queue UI). */
  apiProviders?: Provider[];
  /** Workers, consumers, processors: only where workers run. */
  workers?: Provider[];
}

/**
 * The one shape of a role-dependent feature module: `XModule.forRole(role)` returns this, the
 * core everywhere, controllers with the API, workers with the workers (docs/architecture.md).
 */
export function roleModule(module: Type, role: AppRole, parts: RoleParts): DynamicModule {
  const core: Type[] = [parts.core].flat();
  return {
    module,
    imports: core,
    controllers: servesApi(role) ? (parts.controllers ?? []) : [],
    providers: [
      ...(servesApi(role) ? (parts.apiProviders ?? []) : []),
      ...(runsWorkers(role) ? (parts.workers ?? []) : []),
    ],
    exports: core,
  };
}
