import type { JobPolicyConfig } from '../config';
import { buildJob, generateJobName, inputFromManifest } from './job.builder';
import { jobViolations, namespaceAllowsJobs } from './job.policy';
import { parseQuantity } from './quantity';

const cfg: JobPolicyConfig = {
  selfNamespace: 'platform-api',
  namespaceAllowlist: ['shared'],
  imageAllowlist: ['registry.example.com/'],
  job: {
    namePrefix: 'job',
    runAsUser: 65532,
    defaultCpu: '100m',
    defaultMemory: '128Mi',
    maxCpu: '2',
    maxMemory: '2Gi',
    backoffLimit: { default: 0, max: 6 },
    activeDeadlineSeconds: { default: 3600, max: 86400 },
    ttlSecondsAfterFinished: { default: 3600, max: 604800 },
  },
};
const ctx = { namespace: 'team', namespaceManaged: true, cfg };
const job = (container: Record<string, unknown> = {}) => ({
  spec: {
    template: {
      spec: { containers: [{ name: 'c', image: 'registry.example.com/a:1', ...container }] },
    },
  },
});

describe('job policy', () => {
  it('passes a plain job and the job the builder makes from it', () => {
    expect(jobViolations(job(), ctx)).toEqual([]);
    const built = buildJob(inputFromManifest(job()).input, {
      name: 'n',
      namespace: 'team',
      jobId: 'id',
      cfg,
    });
    expect(jobViolations(built, { ...ctx, built: true })).toEqual([]);
  });

  it('returns every violation, not the first', () => {
    const v = jobViolations(
      job({ image: 'evil/x', securityContext: { privileged: true, runAsUser: 0 } }),
      { ...ctx, namespace: 'default', namespaceManaged: false },
    );
    expect(v.map((x) => x.path)).toEqual([
      'namespace',
      'spec.template.spec.containers.0.image',
      'spec.template.spec.containers.0.securityContext.runAsUser',
      'spec.template.spec.containers.0.securityContext.privileged',
    ]);
  });

  it('allows jobs in managed or allow-listed namespaces only, never kube-* or its own', () => {
    expect(namespaceAllowsJobs('team', true, cfg)).toBe(true);
    expect(namespaceAllowsJobs('shared', false, cfg)).toBe(true);
    expect(namespaceAllowsJobs('other', false, cfg)).toBe(false);
    expect(namespaceAllowsJobs('default', true, cfg)).toBe(false);
    expect(
      namespaceAllowsJobs('kube-system', true, { ...cfg, namespaceAllowlist: ['kube-system'] }),
    ).toBe(false);
    expect(namespaceAllowsJobs('platform-api', true, cfg)).toBe(false);
  });

  it('caps resources with Kubernetes quantities', () => {
    expect(parseQuantity('500m')).toBe(0.5);
    expect(parseQuantity('2Gi')).toBe(2 * 1024 ** 3);
    expect(parseQuantity('1e3')).toBeUndefined();
    expect(jobViolations(job({ resources: { limits: { cpu: '2', memory: '2Gi' } } }), ctx)).toEqual(
      [],
    );
    expect(
      jobViolations(job({ resources: { limits: { cpu: '2001m', memory: '3Gi' } } }), ctx),
    ).toHaveLength(2);
    expect(
      jobViolations(job({ resources: { limits: { 'nvidia.com/gpu': '1' } } }), ctx)[0].message,
    ).toMatch(/only cpu and memory/);
  });

  it('generates random names with the prefix', () => {
    const a = generateJobName('job');
    expect(a).toMatch(/^job-[a-z2-7]{10}$/);
    expect(generateJobName('job')).not.toBe(a);
  });
});
