import { ForbiddenException, Inject, Injectable } from '@nestjs/common';
import type { V1Namespace } from '@kubernetes/client-node';
import { eksConfig, type EksConfig } from '../config';
import { KubeApi, type KubeClients } from '../infra/kubernetes';
import type { NamespaceViewDto } from './dto/namespace.dto';
import {
  isProtectedNamespace,
  labelViolations,
  MANAGED_BY,
  MANAGED_BY_KEY,
  namespaceAllowsJobs,
} from './job.policy';
import { mapKubeError, policyException } from './kube-errors';

export const MANAGED_SELECTOR = `${MANAGED_BY_KEY}=${MANAGED_BY}`;

const isManaged = (ns: V1Namespace) => ns.metadata?.labels?.[MANAGED_BY_KEY] === MANAGED_BY;

const toView = (ns: V1Namespace): NamespaceViewDto => ({
  name: ns.metadata?.name ?? '',
  managed: isManaged(ns),
  phase: ns.status?.phase ?? 'Active',
  labels: ns.metadata?.labels ?? {},
  createdAt: ns.metadata?.creationTimestamp
    ? new Date(ns.metadata.creationTimestamp).toISOString()
    : null,
});

/** Namespaces this service creates (labelled managed-by, Pod Security restricted) and may delete. */
@Injectable()
export class NamespacesService {
  constructor(
    private readonly kube: KubeApi,
    @Inject(eksConfig.KEY) private readonly cfg: EksConfig,
  ) {}

  /** A Kubernetes call whose failure is already in this API's terms. */
  run<T>(verb: string, resource: string, fn: (c: KubeClients) => Promise<T>): Promise<T> {
    return this.kube.call(verb, resource, fn).catch((e: unknown) => {
      throw mapKubeError(e);
    });
  }

  async create(name: string, labels?: Record<string, string>): Promise<NamespaceViewDto> {
    if (isProtectedNamespace(name, this.cfg.selfNamespace)) {
      throw new ForbiddenException({
        message: `Namespace name ${name} is reserved (kube-*, default and platform-api's own)`,
        code: 'EKS_NOT_MANAGED',
      });
    }
    const violations = labelViolations(labels, 'labels');
    if (violations.length > 0) throw policyException(violations);
    const body = {
      metadata: {
        name,
        labels: {
          ...labels,
          [MANAGED_BY_KEY]: MANAGED_BY,
          'pod-security.kubernetes.io/enforce': 'restricted',
          'pod-security.kubernetes.io/enforce-version': 'latest',
        },
      },
    };
    return toView(await this.run('create', 'namespaces', (c) => c.core.createNamespace({ body })));
  }

  async list(): Promise<NamespaceViewDto[]> {
    const list = await this.run('list', 'namespaces', (c) =>
      c.core.listNamespace({ labelSelector: MANAGED_SELECTOR }),
    );
    return list.items.map(toView);
  }

  /** The namespace if it exists (404 otherwise), with whether we manage it. */
  async lookup(name: string): Promise<NamespaceViewDto> {
    return toView(await this.run('get', 'namespaces', (c) => c.core.readNamespace({ name })));
  }

  async get(name: string): Promise<NamespaceViewDto> {
    const ns = await this.lookup(name);
    if (!ns.managed && !this.cfg.namespaceAllowlist.includes(name)) {
      throw new ForbiddenException({
        message: `Namespace ${name} is not managed by platform-api`,
        code: 'EKS_NOT_MANAGED',
      });
    }
    return ns;
  }

  async remove(name: string): Promise<NamespaceViewDto> {
    if (isProtectedNamespace(name, this.cfg.selfNamespace)) {
      throw new ForbiddenException({
        message: `Namespace ${name} is protected and cannot be deleted`,
        code: 'EKS_NOT_MANAGED',
      });
    }
    const ns = await this.lookup(name);
    if (!ns.managed)
      throw new ForbiddenException({
        message: `Namespace ${name} is not managed by platform-api: it cannot be deleted`,
        code: 'EKS_NOT_MANAGED',
      });
    await this.run('delete', 'namespaces', (c) => c.core.deleteNamespace({ name }));
    return { ...ns, phase: 'Terminating' };
  }

  /** For job routes that read or delete: the namespace must exist and allow jobs (403 otherwise). */
  async requireJobNamespace(name: string): Promise<NamespaceViewDto> {
    const ns = await this.lookup(name);
    if (!namespaceAllowsJobs(name, ns.managed, this.cfg)) {
      throw new ForbiddenException({
        message: `Namespace ${name} is not managed by platform-api nor in K8S_NAMESPACE_ALLOWLIST`,
        code: 'EKS_NOT_MANAGED',
      });
    }
    return ns;
  }
}
