import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import { startEksFakes, type EksFakes } from './support/fake-kube/eks-env';

const IMAGE = 'registry.example.com/tools/report:1.2';
const P = 'spec.template.spec';
const C = `${P}.containers.0`;
type Obj = Record<string, unknown>;

/** A seed-style manifest whose pod spec and first container take the given extras. */
const manifest = (pod: Obj = {}, container: Obj = {}, top: Obj = {}) => ({
  ...top,
  spec: {
    ...(top.spec as Obj),
    template: {
      spec: { containers: [{ name: 'job-container', image: IMAGE, ...container }], ...pod },
    },
  },
});

/** [what, manifest, every violation path expected] */
const HOSTILE: [string, Obj, string[]][] = [
  [
    'privileged',
    manifest({}, { securityContext: { privileged: true } }),
    [`${C}.securityContext.privileged`],
  ],
  [
    'hostPath volume',
    manifest({ volumes: [{ name: 'root', hostPath: { path: '/' } }] }),
    [`${P}.volumes.0.hostPath`],
  ],
  ['hostNetwork', manifest({ hostNetwork: true }), [`${P}.hostNetwork`]],
  ['hostPID', manifest({ hostPID: true }), [`${P}.hostPID`]],
  ['hostIPC', manifest({ hostIPC: true }), [`${P}.hostIPC`]],
  [
    'hostPort',
    manifest({}, { ports: [{ containerPort: 80, hostPort: 80 }] }),
    [`${C}.ports.0.hostPort`],
  ],
  [
    'added capabilities',
    manifest({}, { securityContext: { capabilities: { add: ['NET_ADMIN'] } } }),
    [`${C}.securityContext.capabilities.add`],
  ],
  [
    'runAsUser 0 (container)',
    manifest({}, { securityContext: { runAsUser: 0 } }),
    [`${C}.securityContext.runAsUser`],
  ],
  [
    'runAsUser 0 (pod)',
    manifest({ securityContext: { runAsUser: 0 } }),
    [`${P}.securityContext.runAsUser`],
  ],
  [
    'runAsNonRoot false',
    manifest({}, { securityContext: { runAsNonRoot: false } }),
    [`${C}.securityContext.runAsNonRoot`],
  ],
  [
    'allowPrivilegeEscalation',
    manifest({}, { securityContext: { allowPrivilegeEscalation: true } }),
    [`${C}.securityContext.allowPrivilegeEscalation`],
  ],
  [
    'seccomp Unconfined',
    manifest({ securityContext: { seccompProfile: { type: 'Unconfined' } } }),
    [`${P}.securityContext.seccompProfile.type`],
  ],
  [
    'nfs volume',
    manifest({ volumes: [{ name: 'n', nfs: { server: 'x', path: '/' } }] }),
    [`${P}.volumes.0.nfs`],
  ],
  ['serviceAccountName', manifest({ serviceAccountName: 'admin' }), [`${P}.serviceAccountName`]],
  [
    'secret via valueFrom',
    manifest({}, { env: [{ name: 'T', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] }),
    [`${C}.env.0.valueFrom`],
  ],
  ['envFrom secret', manifest({}, { envFrom: [{ secretRef: { name: 's' } }] }), [`${C}.envFrom`]],
  [
    'image outside the allow-list',
    manifest({}, { image: 'docker.io/evil/miner:latest' }),
    [`${C}.image`],
  ],
  [
    'over the CPU cap',
    manifest({}, { resources: { limits: { cpu: '64' } } }),
    [`${C}.resources.limits.cpu`],
  ],
  [
    'backoffLimit over the cap',
    manifest({}, {}, { spec: { backoffLimit: 1000 } }),
    ['spec.backoffLimit'],
  ],
  [
    'forged ownership label',
    manifest({}, {}, { metadata: { labels: { 'app.kubernetes.io/managed-by': 'platform-api' } } }),
    ['metadata.labels.app.kubernetes.io/managed-by'],
  ],
  [
    'other namespace in the manifest',
    manifest({}, {}, { metadata: { namespace: 'kube-system' } }),
    ['metadata.namespace'],
  ],
  [
    'everything at once',
    manifest(
      {
        hostNetwork: true,
        hostPID: true,
        serviceAccountName: 'admin',
        volumes: [{ name: 'root', hostPath: { path: '/' } }],
      },
      {
        image: 'docker.io/evil:1',
        securityContext: {
          privileged: true,
          runAsUser: 0,
          capabilities: { add: ['SYS_ADMIN'] },
          allowPrivilegeEscalation: true,
        },
      },
    ),
    [
      `${P}.hostNetwork`,
      `${P}.hostPID`,
      `${P}.serviceAccountName`,
      `${P}.volumes.0.hostPath`,
      `${C}.image`,
      `${C}.securityContext.runAsUser`,
      `${C}.securityContext.privileged`,
      `${C}.securityContext.allowPrivilegeEscalation`,
      `${C}.securityContext.capabilities.add`,
    ],
  ],
];

describe('eks: job policy and compat routes', () => {
  let fakes: EksFakes;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    fakes = await startEksFakes();
    fakes.kube.addNamespace('team-p', { 'app.kubernetes.io/managed-by': 'platform-api' });
    app = await bootApp(fakes.env);
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await fakes?.stop();
  });
  const req = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    app.inject({
      method,
      url,
      headers: auth,
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });

  it.each(HOSTILE)(
    'refuses %s: 400 listing every violation, nothing sent',
    async (_what, job_manifest, paths) => {
      const jobsBefore = fakes.kube.jobs.size;
      const res = await req('POST', '/api/eks-create-job', { namespace: 'team-p', job_manifest });
      expect(res.statusCode).toBe(400);
      const fields = res.json().errors.map((e: { field: string }) => e.field);
      expect(fields.sort()).toEqual([...paths].sort());
      expect(fakes.kube.jobs.size).toBe(jobsBefore);
    },
  );

  it('refuses a hostile manifest in a namespace it may not use, listing that too', async () => {
    const res = await req('POST', '/api/eks-create-job', {
      namespace: 'default',
      job_manifest: manifest({ hostNetwork: true }),
    });
    expect(res.statusCode).toBe(400);
    expect(
      res
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['namespace', `${P}.hostNetwork`]);
  });

  it('accepts the seed example manifest and normalises it to the safe shape', async () => {
    const res = await req('POST', '/api/eks-create-job', {
      namespace: 'team-p',
      job_manifest: {
        metadata: { name: 'seed-example', labels: { app: 'demo' } },
        spec: {
          backoffLimit: 1,
          template: {
            spec: {
              containers: [
                { name: 'job-container', image: IMAGE, command: ['echo', 'Hello World'] },
              ],
              restartPolicy: 'Never',
              nodeSelector: { x: 'y' },
            },
          },
        },
      },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'success',
      message: 'Job seed-example created',
      job_name: 'seed-example',
      namespace: 'team-p',
    });
    const job = fakes.kube.jobs.get('team-p/seed-example')!;
    const pod = job.spec.template.spec;
    expect(job.spec.backoffLimit).toBe(1);
    expect(job.metadata.labels).toMatchObject({
      app: 'demo',
      'app.kubernetes.io/managed-by': 'platform-api',
    });
    expect(pod).toMatchObject({
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      securityContext: { runAsNonRoot: true },
    });
    expect(pod.nodeSelector).toBeUndefined();
    expect(pod.containers[0]).toMatchObject({
      command: ['echo', 'Hello World'],
      securityContext: {
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
      },
    });
  });

  it('creates a missing namespace as a managed one, like the seed did', async () => {
    const res = await req('POST', '/api/eks-create-job', {
      namespace: 'seed-new',
      job_manifest: manifest(),
    });
    expect(res.statusCode).toBe(200);
    expect(
      fakes.kube.namespaces.get('seed-new')!.metadata.labels['app.kubernetes.io/managed-by'],
    ).toBe('platform-api');
  });

  it('answers the seed job-status shape and deletes through the seed routes', async () => {
    fakes.kube.setJob('team-p', 'seed-example', 'succeeded');
    const status = await req(
      'GET',
      '/api/eks-get-job-status?job_name=seed-example&namespace=team-p',
    );
    expect(status.statusCode).toBe(200);
    expect(status.json()).toEqual({
      job_name: 'seed-example',
      namespace: 'team-p',
      state: 'succeeded',
      active: 0,
      succeeded: 1,
      failed: 0,
      start_time: expect.any(String),
      completion_time: expect.any(String),
    });
    const del = await req('DELETE', '/api/eks-delete-job?job_name=seed-example&namespace=team-p');
    expect(del.statusCode).toBe(200);
    expect(fakes.kube.jobs.has('team-p/seed-example')).toBe(false);
    expect(
      (await req('GET', '/api/eks-get-job-status?job_name=seed-example&namespace=team-p'))
        .statusCode,
    ).toBe(404);
  });

  it('creates and deletes namespaces through the seed routes, with the same rules', async () => {
    const made = await req('POST', '/api/eks-create-namespace', { namespace_name: 'seed-ns' });
    expect(made.statusCode).toBe(200);
    expect(made.json()).toMatchObject({ status: 'success', namespace_name: 'seed-ns' });
    expect(
      (await req('DELETE', '/api/eks-delete-namespace?namespace_name=kube-system')).statusCode,
    ).toBe(403);
    expect(
      (await req('DELETE', '/api/eks-delete-namespace?namespace_name=unmanaged')).statusCode,
    ).toBe(403);
    expect(
      (await req('DELETE', '/api/eks-delete-namespace?namespace_name=seed-ns')).statusCode,
    ).toBe(200);
    expect(fakes.kube.namespaces.has('seed-ns')).toBe(false);
    const bad = await req('POST', '/api/eks-create-namespace', { namespace_name: 'Bad Name' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('namespace_name');
  });

  it('requires the API key on compat routes too', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/eks-create-namespace',
      payload: { namespace_name: 'x' },
    });
    expect(res.statusCode).toBe(401);
  });

  it('marks the compat routes deprecated in the OpenAPI document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    expect(doc.paths['/api/eks-create-job'].post.deprecated).toBe(true);
    expect(doc.paths['/api/eks-get-job-status'].get.deprecated).toBe(true);
    expect(doc.paths['/v1/namespaces/{ns}/jobs'].post.deprecated).toBeUndefined();
  });
});

describe('eks: K8S_AUTH=disabled', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await bootApp({ K8S_AUTH: 'disabled' });
  }, 30_000);
  afterAll(() => app?.close());

  it.each([
    ['GET', '/v1/namespaces'],
    ['POST', '/v1/namespaces'],
    ['DELETE', '/v1/namespaces/team-a'],
    ['GET', '/v1/namespaces/team-a/jobs/x/logs'],
    ['POST', '/api/eks-create-job'],
    ['GET', '/api/eks-get-job-status?job_name=a&namespace=b'],
  ] as const)('%s %s answers 503 "Kubernetes is not configured"', async (method, url) => {
    const res = await app.inject({
      method,
      url,
      headers: auth,
      payload: method === 'POST' ? {} : undefined,
    });
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/^Kubernetes is not configured: set K8S_AUTH/);
    expect(res.json().code).toBe('KUBERNETES_NOT_CONFIGURED');
  });
});
