import { randomBytes } from 'node:crypto';
import type { JobPolicyConfig } from '../config';
import { JOB_ID_KEY, MANAGED_BY, MANAGED_BY_KEY } from './job.policy';
import { isRecord } from '../common/primitives/objects';

export interface EnvVarInput {
  name: string;
  value?: string;
}
export interface ResourceInput {
  requests?: { cpu?: string; memory?: string };
  limits?: { cpu?: string; memory?: string };
}
export interface VolumeMountInput {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}
export interface ContainerInput {
  name?: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVarInput[];
  resources?: ResourceInput;
  workingDir?: string;
  volumeMounts?: VolumeMountInput[];
}
/** What a caller may choose about a Job; everything else is the builder's. */
export interface JobInput {
  labels?: Record<string, string>;
  containers: ContainerInput[];
  /** Only volumes the policy let through (restricted types). */
  volumes?: Record<string, unknown>[];
  backoffLimit?: number;
  activeDeadlineSeconds?: number;
  ttlSecondsAfterFinished?: number;
}

/** Writable scratch space: the root filesystem is read-only. */
const TMP_VOLUME = 'platform-tmp';

/** `<prefix>-<random>`: 10 random base-32 characters (50 bits), never the clock. */
export function generateJobName(prefix: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  return `${prefix}-${Array.from(randomBytes(10), (b) => alphabet[b & 31]).join('')}`;
}

function resources(r: ResourceInput | undefined, cfg: JobPolicyConfig) {
  const requests = {
    cpu: r?.requests?.cpu ?? r?.limits?.cpu ?? cfg.job.defaultCpu,
    memory: r?.requests?.memory ?? r?.limits?.memory ?? cfg.job.defaultMemory,
  };
  return {
    requests,
    limits: { cpu: r?.limits?.cpu ?? requests.cpu, memory: r?.limits?.memory ?? requests.memory },
  };
}

/**
 * The Job this service submits: the caller's image, command, env and sizes inside a pod that
 * meets Pod Security "restricted", with bounded retries, run time and lifetime. Pure.
 */
export function buildJob(
  input: JobInput,
  ctx: { name: string; namespace: string; jobId: string; cfg: JobPolicyConfig },
): Record<string, unknown> {
  const { cfg } = ctx;
  const uid = cfg.job.runAsUser;
  const labels = { ...input.labels, [MANAGED_BY_KEY]: MANAGED_BY, [JOB_ID_KEY]: ctx.jobId };
  const seccompProfile = { type: 'RuntimeDefault' };
  const containers = input.containers.map((c, i) => {
    const mounts = (c.volumeMounts ?? []).map((m) => ({
      name: m.name,
      mountPath: m.mountPath,
      ...(m.readOnly !== undefined ? { readOnly: m.readOnly } : {}),
      ...(m.subPath !== undefined ? { subPath: m.subPath } : {}),
    }));
    if (!mounts.some((m) => m.mountPath === '/tmp'))
      mounts.push({ name: TMP_VOLUME, mountPath: '/tmp' });
    return {
      name: c.name ?? (i === 0 ? 'main' : `main-${i}`),
      image: c.image,
      ...(c.command ? { command: c.command } : {}),
      ...(c.args ? { args: c.args } : {}),
      ...(c.workingDir ? { workingDir: c.workingDir } : {}),
      env: (c.env ?? []).map((e) => ({ name: e.name, value: e.value ?? '' })),
      resources: resources(c.resources, cfg),
      volumeMounts: mounts,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: uid,
        runAsGroup: uid,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile,
      },
    };
  });
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: ctx.name, namespace: ctx.namespace, labels },
    spec: {
      backoffLimit: input.backoffLimit ?? cfg.job.backoffLimit.default,
      activeDeadlineSeconds: input.activeDeadlineSeconds ?? cfg.job.activeDeadlineSeconds.default,
      ttlSecondsAfterFinished:
        input.ttlSecondsAfterFinished ?? cfg.job.ttlSecondsAfterFinished.default,
      template: {
        metadata: { labels },
        spec: {
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          hostNetwork: false,
          hostPID: false,
          hostIPC: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: uid,
            runAsGroup: uid,
            fsGroup: uid,
            seccompProfile,
          },
          containers,
          volumes: [
            ...(input.volumes ?? []),
            { name: TMP_VOLUME, emptyDir: { sizeLimit: '64Mi' } },
          ],
        },
      },
    },
  };
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (isRecord(v) ? v : {});
const strings = (v: unknown): string[] | undefined =>
  Array.isArray(v) ? v.map(String) : undefined;

/**
 * The caller's choices in a raw manifest that passed the policy, in the shape the builder takes:
 * security fields, service accounts, scheduling and anything else unknown are dropped.
 */
export function inputFromManifest(manifest: unknown): {
  name?: string;
  generateName?: string;
  input: JobInput;
} {
  const m = obj(manifest);
  const meta = obj(m.metadata);
  const spec = obj(m.spec);
  const pod = obj(obj(spec.template).spec);
  const containers = (Array.isArray(pod.containers) ? pod.containers : []).map(
    (raw): ContainerInput => {
      const c = obj(raw);
      const r = obj(c.resources);
      const pick = (x: unknown) => {
        const o = obj(x);
        return {
          ...(o.cpu !== undefined ? { cpu: String(o.cpu) } : {}),
          ...(o.memory !== undefined ? { memory: String(o.memory) } : {}),
        };
      };
      return {
        name: String(c.name),
        image: String(c.image),
        command: strings(c.command),
        args: strings(c.args),
        workingDir: typeof c.workingDir === 'string' ? c.workingDir : undefined,
        env: (Array.isArray(c.env) ? c.env : []).map((e) => ({
          name: String(obj(e).name),
          value: obj(e).value as string | undefined,
        })),
        resources: {
          ...(r.requests ? { requests: pick(r.requests) } : {}),
          ...(r.limits ? { limits: pick(r.limits) } : {}),
        },
        volumeMounts: (Array.isArray(c.volumeMounts) ? c.volumeMounts : []).map((v) => {
          const o = obj(v);
          return {
            name: String(o.name),
            mountPath: String(o.mountPath),
            readOnly: o.readOnly as boolean | undefined,
            subPath: o.subPath as string | undefined,
          };
        }),
      };
    },
  );
  return {
    name: typeof meta.name === 'string' ? meta.name : undefined,
    generateName: typeof meta.generateName === 'string' ? meta.generateName : undefined,
    input: {
      labels: meta.labels as Record<string, string> | undefined,
      containers,
      volumes: Array.isArray(pod.volumes) ? (pod.volumes as Obj[]) : undefined,
      backoffLimit: spec.backoffLimit as number | undefined,
      activeDeadlineSeconds: spec.activeDeadlineSeconds as number | undefined,
      ttlSecondsAfterFinished: spec.ttlSecondsAfterFinished as number | undefined,
    },
  };
}
