import type { JobPolicyConfig } from '../config';
import { parseQuantity } from './quantity';
import { isRecord } from '../common/primitives/objects';
import { DNS_LABEL } from '../common/primitives/patterns';

/** One reason a Job may not run: where in the manifest, and why. */
export interface Violation {
  path: string;
  message: string;
}

export interface PolicyContext {
  /** The namespace the Job goes to (from the route, never from the manifest). */
  namespace: string;
  /** The namespace carries our managed-by label. */
  namespaceManaged: boolean;
  cfg: JobPolicyConfig;
  /** Checking the Job the builder made: the reserved labels are ours there. */
  built?: boolean;
}

export const MANAGED_BY_KEY = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'platform-api';
export const JOB_ID_KEY = 'platform-api/job-id';
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** Prefixes only this service sets: a caller may not forge ownership or pod-security labels. */
const RESERVED_LABEL_PREFIXES = [
  'app.kubernetes.io/managed-by',
  'platform-api/',
  'pod-security.kubernetes.io/',
  'kubernetes.io/',
  'k8s.io/',
];
/** The volume types Pod Security "restricted" allows. */
export const RESTRICTED_VOLUME_TYPES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
];
/** Fields of a container that the normalised Job keeps; anything else is dropped. */
const MAX_CONTAINERS = 10;

const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Namespaces nobody may run jobs in or delete, whatever the labels or the allow-list say. */
export function isProtectedNamespace(ns: string, selfNamespace: string): boolean {
  return ns.startsWith('kube-') || ns === selfNamespace || ns === 'default';
}

export function namespaceAllowsJobs(ns: string, managed: boolean, cfg: JobPolicyConfig): boolean {
  if (ns.startsWith('kube-') || ns === cfg.selfNamespace) return false;
  return cfg.namespaceAllowlist.includes(ns) || (managed && ns !== 'default');
}

export function imageAllowed(image: string, allowlist: string[]): boolean {
  return allowlist.length === 0 || allowlist.some((prefix) => image.startsWith(prefix));
}

/** Label problems: syntax, and keys only this service may set. */
export function labelViolations(labels: unknown, path: string, allowReserved = false): Violation[] {
  if (labels === undefined) return [];
  if (!isRecord(labels)) return [{ path, message: 'labels must be an object of strings' }];
  const out: Violation[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const at = `${path}.${k}`;
    if (!LABEL_KEY.test(k) || k.length > 316)
      out.push({ path: at, message: 'is not a valid label key' });
    else if (!allowReserved && RESERVED_LABEL_PREFIXES.some((p) => k.startsWith(p)))
      out.push({ path: at, message: 'is reserved for platform-api' });
    if (typeof v !== 'string' || !LABEL_VALUE.test(v))
      out.push({
        path: at,
        message: 'is not a valid label value (63 characters of [A-Za-z0-9-_.])',
      });
  }
  return out;
}

function securityContextViolations(sc: unknown, path: string, pod: boolean): Violation[] {
  if (sc === undefined) return [];
  if (!isRecord(sc)) return [{ path, message: 'securityContext must be an object' }];
  const out: Violation[] = [];
  const v = (field: string, message: string) => out.push({ path: `${path}.${field}`, message });
  if (sc.runAsUser === 0) v('runAsUser', 'running as root (uid 0) is not allowed');
  if (sc.runAsGroup === 0) v('runAsGroup', 'running as group 0 is not allowed');
  if (sc.runAsNonRoot === false) v('runAsNonRoot', 'runAsNonRoot must not be false');
  if (isRecord(sc.seccompProfile) && sc.seccompProfile.type === 'Unconfined')
    v('seccompProfile.type', 'seccomp Unconfined is not allowed');
  if (isRecord(sc.appArmorProfile) && sc.appArmorProfile.type === 'Unconfined')
    v('appArmorProfile.type', 'AppArmor Unconfined is not allowed');
  if (isRecord(sc.windowsOptions) && sc.windowsOptions.hostProcess === true)
    v('windowsOptions.hostProcess', 'host processes are not allowed');
  if (pod) {
    if (arr(sc.sysctls).length > 0) v('sysctls', 'sysctls are not allowed');
    return out;
  }
  if (sc.privileged === true) v('privileged', 'privileged containers are not allowed');
  if (sc.allowPrivilegeEscalation === true)
    v('allowPrivilegeEscalation', 'privilege escalation is not allowed');
  if (sc.procMount !== undefined && sc.procMount !== 'Default')
    v('procMount', 'only the Default procMount is allowed');
  if (isRecord(sc.capabilities) && arr(sc.capabilities.add).length > 0)
    v('capabilities.add', 'adding capabilities is not allowed');
  return out;
}

function quantityViolations(resources: unknown, path: string, cfg: JobPolicyConfig): Violation[] {
  if (resources === undefined) return [];
  if (!isRecord(resources)) return [{ path, message: 'resources must be an object' }];
  const out: Violation[] = [];
  const caps = { cpu: cfg.job.maxCpu, memory: cfg.job.maxMemory };
  for (const kind of ['requests', 'limits'] as const) {
    const r = resources[kind];
    if (r === undefined) continue;
    if (!isRecord(r)) {
      out.push({ path: `${path}.${kind}`, message: 'must be an object' });
      continue;
    }
    for (const [name, q] of Object.entries(r)) {
      if (q === undefined) continue;
      const at = `${path}.${kind}.${name}`;
      if (name !== 'cpu' && name !== 'memory') {
        out.push({ path: at, message: 'only cpu and memory can be requested' });
        continue;
      }
      const value = parseQuantity(q);
      if (value === undefined)
        out.push({ path: at, message: `is not a valid quantity: ${JSON.stringify(q)}` });
      else if (value > parseQuantity(caps[name])!)
        out.push({ path: at, message: `exceeds the maximum ${caps[name]}` });
    }
  }
  return out;
}

function containerViolations(c: unknown, path: string, cfg: JobPolicyConfig): Violation[] {
  if (!isRecord(c)) return [{ path, message: 'container must be an object' }];
  const out: Violation[] = [];
  if (typeof c.name !== 'string' || !DNS_LABEL.test(c.name)) {
    out.push({ path: `${path}.name`, message: 'must be a DNS-1123 label' });
  }
  if (typeof c.image !== 'string' || c.image.trim() === '')
    out.push({ path: `${path}.image`, message: 'is required' });
  else if (!imageAllowed(c.image, cfg.imageAllowlist)) {
    out.push({
      path: `${path}.image`,
      message: `image ${c.image} is not allowed (allowed prefixes: ${cfg.imageAllowlist.join(', ')})`,
    });
  }
  for (const field of ['command', 'args'] as const) {
    if (
      c[field] !== undefined &&
      !(Array.isArray(c[field]) && c[field].every((x) => typeof x === 'string'))
    ) {
      out.push({ path: `${path}.${field}`, message: 'must be an array of strings' });
    }
  }
  arr(c.env).forEach((e, i) => {
    const at = `${path}.env.${i}`;
    if (!isRecord(e) || typeof e.name !== 'string')
      return out.push({ path: at, message: 'must be { name, value }' });
    if (e.valueFrom !== undefined) {
      const secret = isRecord(e.valueFrom) && e.valueFrom.secretKeyRef !== undefined;
      out.push({
        path: `${at}.valueFrom`,
        message: secret
          ? 'secret references are not allowed: env takes literal values only'
          : 'env takes literal values only',
      });
    }
    if (e.value !== undefined && typeof e.value !== 'string')
      out.push({ path: `${at}.value`, message: 'must be a string' });
  });
  if (c.envFrom !== undefined)
    out.push({
      path: `${path}.envFrom`,
      message: 'envFrom is not allowed: env takes literal values only',
    });
  arr(c.ports).forEach((p, i) => {
    if (isRecord(p) && p.hostPort !== undefined && p.hostPort !== 0)
      out.push({ path: `${path}.ports.${i}.hostPort`, message: 'host ports are not allowed' });
  });
  out.push(...securityContextViolations(c.securityContext, `${path}.securityContext`, false));
  out.push(...quantityViolations(c.resources, `${path}.resources`, cfg));
  return out;
}

function volumeViolations(volumes: unknown, path: string): Violation[] {
  return arr(volumes).flatMap((vol, i): Violation[] => {
    const at = `${path}.${i}`;
    if (!isRecord(vol)) return [{ path: at, message: 'volume must be an object' }];
    const types = Object.keys(vol).filter((k) => k !== 'name');
    const out: Violation[] = types
      .filter((t) => !RESTRICTED_VOLUME_TYPES.includes(t))
      .map((t) => ({
        path: `${at}.${t}`,
        message:
          t === 'hostPath' ? 'hostPath volumes are not allowed' : `${t} volumes are not allowed`,
      }));
    const sources = isRecord(vol.projected) ? arr(vol.projected.sources) : [];
    if (sources.some((s) => isRecord(s) && s.serviceAccountToken !== undefined)) {
      out.push({ path: `${at}.projected`, message: 'service account tokens are not allowed' });
    }
    return out;
  });
}

function boundViolation(value: unknown, path: string, max: number): Violation[] {
  if (value === undefined) return [];
  if (!Number.isInteger(value) || (value as number) < 0)
    return [{ path, message: 'must be a non-negative integer' }];
  return (value as number) > max ? [{ path, message: `must not exceed ${max}` }] : [];
}

/**
 * Every reason this Job must not run, or [] if it may. Works on a raw manifest (compat route) and
 * on the Job the builder made (structured route), so both go through the same rules. Pure.
 */
export function jobViolations(job: unknown, ctx: PolicyContext): Violation[] {
  const { cfg, namespace } = ctx;
  if (!isRecord(job)) return [{ path: '', message: 'the job manifest must be an object' }];
  const out: Violation[] = [];
  if (!namespaceAllowsJobs(namespace, ctx.namespaceManaged, cfg)) {
    out.push({
      path: 'namespace',
      message: `namespace ${namespace} is not managed by platform-api nor in K8S_NAMESPACE_ALLOWLIST`,
    });
  }
  if (job.kind !== undefined && job.kind !== 'Job')
    out.push({ path: 'kind', message: 'must be Job' });
  if (job.apiVersion !== undefined && job.apiVersion !== 'batch/v1')
    out.push({ path: 'apiVersion', message: 'must be batch/v1' });
  const meta = isRecord(job.metadata) ? job.metadata : {};
  if (meta.namespace !== undefined && meta.namespace !== namespace) {
    out.push({ path: 'metadata.namespace', message: `must be absent or equal to ${namespace}` });
  }
  if (meta.name !== undefined && (typeof meta.name !== 'string' || !DNS_LABEL.test(meta.name))) {
    out.push({
      path: 'metadata.name',
      message: 'must be a DNS-1123 label of at most 63 characters',
    });
  }
  out.push(...labelViolations(meta.labels, 'metadata.labels', ctx.built));
  const spec = isRecord(job.spec) ? job.spec : {};
  out.push(...boundViolation(spec.backoffLimit, 'spec.backoffLimit', cfg.job.backoffLimit.max));
  out.push(
    ...boundViolation(
      spec.activeDeadlineSeconds,
      'spec.activeDeadlineSeconds',
      cfg.job.activeDeadlineSeconds.max,
    ),
  );
  out.push(
    ...boundViolation(
      spec.ttlSecondsAfterFinished,
      'spec.ttlSecondsAfterFinished',
      cfg.job.ttlSecondsAfterFinished.max,
    ),
  );
  const template = isRecord(spec.template) ? spec.template : {};
  if (isRecord(template.metadata))
    out.push(
      ...labelViolations(template.metadata.labels, 'spec.template.metadata.labels', ctx.built),
    );
  const pod = isRecord(template.spec) ? template.spec : undefined;
  const p = 'spec.template.spec';
  if (!pod) return [...out, { path: p, message: 'a pod spec with containers is required' }];
  for (const field of ['hostNetwork', 'hostPID', 'hostIPC'] as const) {
    if (pod[field] === true)
      out.push({ path: `${p}.${field}`, message: `${field} is not allowed` });
  }
  if (pod.hostUsers === true)
    out.push({ path: `${p}.hostUsers`, message: 'hostUsers is not allowed' });
  for (const field of ['serviceAccountName', 'serviceAccount'] as const) {
    if (pod[field] !== undefined)
      out.push({
        path: `${p}.${field}`,
        message: 'a service account cannot be chosen: jobs run without API credentials',
      });
  }
  if (pod.automountServiceAccountToken === true)
    out.push({ path: `${p}.automountServiceAccountToken`, message: 'must not be true' });
  if (pod.nodeName !== undefined)
    out.push({ path: `${p}.nodeName`, message: 'scheduling to a chosen node is not allowed' });
  out.push(...securityContextViolations(pod.securityContext, `${p}.securityContext`, true));
  out.push(...volumeViolations(pod.volumes, `${p}.volumes`));
  for (const field of ['initContainers', 'ephemeralContainers'] as const) {
    if (arr(pod[field]).length > 0)
      out.push({ path: `${p}.${field}`, message: `${field} are not supported` });
  }
  const containers = arr(pod.containers);
  if (containers.length === 0)
    out.push({ path: `${p}.containers`, message: 'at least one container is required' });
  if (containers.length > MAX_CONTAINERS)
    out.push({ path: `${p}.containers`, message: `at most ${MAX_CONTAINERS} containers` });
  containers.forEach((c, i) => out.push(...containerViolations(c, `${p}.containers.${i}`, cfg)));
  return out;
}
