import { randomUUID } from 'node:crypto';
import { ForbiddenException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { eksConfig, type EksConfig } from '../config';
import type { CreateJobDto, JobLogsDto, PodLogDto } from './dto/job.dto';
import { buildJob, generateJobName, inputFromManifest } from './job.builder';
import { JOB_ID_KEY, jobViolations, MANAGED_BY, MANAGED_BY_KEY } from './job.policy';
import { toJobView, type JobView } from './job.view';
import { policyException } from './kube-errors';
import { MANAGED_SELECTOR, NamespacesService } from './namespaces.service';

/** The structured request as a manifest, so both routes go through the same policy. */
function manifestOf(dto: CreateJobDto): Record<string, unknown> {
  return {
    metadata: {
      ...(dto.name ? { name: dto.name } : {}),
      ...(dto.labels ? { labels: dto.labels } : {}),
    },
    spec: {
      backoffLimit: dto.backoffLimit,
      activeDeadlineSeconds: dto.activeDeadlineSeconds,
      ttlSecondsAfterFinished: dto.ttlSecondsAfterFinished,
      template: {
        spec: {
          containers: [
            {
              name: 'main',
              image: dto.image,
              command: dto.command,
              args: dto.args,
              env: dto.env,
              resources: dto.resources,
            },
          ],
        },
      },
    },
  };
}

const isManaged = (job: V1Job) => job.metadata?.labels?.[MANAGED_BY_KEY] === MANAGED_BY;

@Injectable()
export class JobsService {
  constructor(
    private readonly namespaces: NamespacesService,
    @Inject(eksConfig.KEY) private readonly cfg: EksConfig,
  ) {}

  create(namespace: string, dto: CreateJobDto): Promise<JobView> {
    return this.createFromManifest(namespace, manifestOf(dto));
  }

  /**
   * A raw manifest runs only if the policy finds nothing wrong; it is then rebuilt in the safe
   * shape (the caller's image, command, env, sizes; our security context, limits and labels).
   * `createNamespace` (seed behaviour) creates a missing namespace as a managed one first.
   */
  async createFromManifest(
    namespace: string,
    manifest: unknown,
    opts: { createNamespace?: boolean } = {},
  ): Promise<JobView> {
    const ns = await this.namespaces.lookup(namespace).catch(async (e: unknown) => {
      if (!(e instanceof NotFoundException) || !opts.createNamespace) throw e;
      return this.namespaces.create(namespace);
    });
    const ctx = { namespace, namespaceManaged: ns.managed, cfg: this.cfg };
    const violations = jobViolations(manifest, ctx);
    if (violations.length > 0) throw policyException(violations);
    const { name, generateName, input } = inputFromManifest(manifest);
    const prefix = generateName?.replace(/-+$/, '') || this.cfg.job.namePrefix;
    const body = buildJob(input, {
      name: name ?? generateJobName(prefix.slice(0, 40)),
      namespace,
      jobId: randomUUID(),
      cfg: this.cfg,
    });
    // The built Job must pass too: the builder can only tighten, and this keeps it honest.
    const again = jobViolations(body, { ...ctx, built: true });
    if (again.length > 0) throw policyException(again);
    const created = await this.namespaces.run('create', 'jobs', (c) =>
      c.batch.createNamespacedJob({ namespace, body: body as V1Job }),
    );
    return toJobView(created);
  }

  async list(namespace: string): Promise<JobView[]> {
    await this.namespaces.requireJobNamespace(namespace);
    const list = await this.namespaces.run('list', 'jobs', (c) =>
      c.batch.listNamespacedJob({ namespace, labelSelector: MANAGED_SELECTOR }),
    );
    return list.items.map(toJobView);
  }

  async get(namespace: string, name: string): Promise<JobView> {
    return toJobView(await this.readManaged(namespace, name));
  }

  async remove(
    namespace: string,
    name: string,
  ): Promise<{ name: string; namespace: string; status: string }> {
    await this.readManaged(namespace, name);
    // Background propagation: the Job goes now, its pods right after (the default would orphan them).
    await this.namespaces.run('delete', 'jobs', (c) =>
      c.batch.deleteNamespacedJob({ name, namespace, propagationPolicy: 'Background' }),
    );
    return { name, namespace, status: 'deleting' };
  }

  async logs(namespace: string, name: string, tailLinesAsked?: number): Promise<JobLogsDto> {
    const job = await this.readManaged(namespace, name);
    const { tailLinesDefault, tailLinesMax, limitBytes, maxPods } = this.cfg.logs;
    const tailLines = Math.min(tailLinesAsked ?? tailLinesDefault, tailLinesMax);
    const match = job.spec?.selector?.matchLabels ?? { 'job-name': name };
    const labelSelector = Object.entries(match)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = await this.namespaces.run('list', 'pods', (c) =>
      c.core.listNamespacedPod({ namespace, labelSelector }),
    );
    const newest = [...pods.items].sort((a, b) => stamp(b) - stamp(a)).slice(0, maxPods);
    const out: PodLogDto[] = [];
    for (const pod of newest) {
      const podName = pod.metadata?.name ?? '';
      const container = pod.spec?.containers?.[0]?.name;
      const log = await this.namespaces
        .run('get', 'pods/log', (c) =>
          c.core.readNamespacedPodLog({
            name: podName,
            namespace,
            container,
            tailLines,
            limitBytes,
          }),
        )
        .catch((e: unknown) => {
          // A pod still pending has no log yet: that is an empty log, not an error.
          if (
            e instanceof Error &&
            'getStatus' in e &&
            (e as { getStatus(): number }).getStatus() === 400
          )
            return '';
          throw e;
        });
      out.push({ pod: podName, phase: pod.status?.phase ?? 'Unknown', log: String(log ?? '') });
    }
    return { name, namespace, tailLines, pods: out };
  }

  private async readManaged(namespace: string, name: string): Promise<V1Job> {
    await this.namespaces.requireJobNamespace(namespace);
    const job = await this.namespaces.run('get', 'jobs', (c) =>
      c.batch.readNamespacedJob({ name, namespace }),
    );
    if (!isManaged(job) || !job.metadata?.labels?.[JOB_ID_KEY]) {
      throw new ForbiddenException({
        message: `Job ${name} in ${namespace} is not managed by platform-api`,
        code: 'EKS_NOT_MANAGED',
      });
    }
    return job;
  }
}

const stamp = (p: V1Pod) =>
  p.metadata?.creationTimestamp ? new Date(p.metadata.creationTimestamp).getTime() : 0;
