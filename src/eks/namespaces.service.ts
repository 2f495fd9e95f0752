import {
  BadGatewayException,
  ForbiddenException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
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

/** The RoleBinding that grants the job rights in a namespace this service created. */
export const NAMESPACE_ROLE_BINDING = 'platform-api-jobs';

/** How long a new namespace's RoleBinding may take to be admitted and take effect. */
const BIND_SETTLE_MS = 5000;

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
    const created = toView(
      await this.run('create', 'namespaces', (c) => c.core.createNamespace({ body })),
    );
    await this.bindJobRights(name);
    return created;
  }

  /**
   * With K8S_NAMESPACE_CLUSTER_ROLE set (the chart does), the job rights (jobs, pods, pods/log)
   * exist only through a RoleBinding in each namespace this service created: nowhere else can it
   * run, read or delete anything. If the binding cannot be made, the new namespace is removed
   * again, so no managed namespace is left that the service cannot use.
   */
  private async bindJobRights(namespace: string): Promise<void> {
    const binding = this.cfg.namespaceRoleBinding;
    if (!binding) return;
    const body = {
      metadata: {
        name: NAMESPACE_ROLE_BINDING,
        labels: { [MANAGED_BY_KEY]: MANAGED_BY },
      },
      roleRef: {
        apiGroup: 'rbac.authorization.k8s.io',
        kind: 'ClusterRole',
        name: binding.clusterRole,
      },
      subjects: [{ kind: 'ServiceAccount', ...binding.serviceAccount }],
    };
    try {
      // The admission policy and RBAC read namespaces and bindings from caches that may not hold
      // a namespace made a moment ago: a 403/404 right after creation is retried for a while.
      await this.settle(() =>
        this.run('create', 'rolebindings', (c) =>
          c.rbac.createNamespacedRoleBinding({ namespace, body }),
        ),
      );
      // Then wait until the authorizer grants the new binding, so the caller's next call (the
      // compat route creates a job at once) does not meet a 403 the cluster is about to lift.
      await this.settle(async () => {
        const review = await this.run('create', 'selfsubjectaccessreviews', (c) =>
          c.authz.createSelfSubjectAccessReview({
            body: {
              spec: {
                resourceAttributes: { namespace, verb: 'create', group: 'batch', resource: 'jobs' },
              },
            },
          }),
        );
        if (!review.status?.allowed) {
          throw new BadGatewayException({
            message: `Kubernetes does not grant platform-api jobs in ${namespace} through ${binding.clusterRole}`,
            code: 'KUBE_RBAC_NOT_GRANTED',
          });
        }
      });
    } catch (e) {
      await this.run('delete', 'namespaces', (c) =>
        c.core.deleteNamespace({ name: namespace }),
      ).catch(() => undefined);
      throw e;
    }
  }

  /** Retries `fn` on 403/404/502 for up to BIND_SETTLE_MS (caches catching up), then rethrows. */
  private async settle<T>(fn: () => Promise<T>): Promise<T> {
    const deadline = Date.now() + BIND_SETTLE_MS;
    for (let wait = 50; ; wait = Math.min(wait * 2, 500)) {
      try {
        return await fn();
      } catch (e) {
        const retriable =
          e instanceof ForbiddenException ||
          e instanceof NotFoundException ||
          e instanceof BadGatewayException;
        if (!retriable || Date.now() + wait > deadline) throw e;
        await new Promise((r) => setTimeout(r, wait));
      }
    }
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
