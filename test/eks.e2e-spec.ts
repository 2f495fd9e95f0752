import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import { eksCases } from './support/eks-cases';
import { testKube } from './support/kube';

/**
 * The eks feature against a real kube-apiserver (etcd, controller-manager, scheduler, KWOK node)
 * started by the global setup: namespaces, jobs to Complete and Failed, logs, deletes with their
 * pods, the hostile-spec table and the compat routes. The app is cluster admin here; the same
 * cases run with the chart's own ServiceAccount in test/kube-rbac.e2e-spec.ts. Faults the real
 * server cannot produce (forced 401, hang) and the EKS IAM token stay on the fake:
 * test/eks-faults.e2e-spec.ts, test/eks-token.e2e-spec.ts.
 */
describe('eks on a real API server (app as cluster admin)', () => {
  const kube = testKube();
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await bootApp({
      ...kube.env,
      K8S_SELF_NAMESPACE: 'platform-api',
      K8S_NAMESPACE_ALLOWLIST: 'ek-shared',
      JOB_IMAGE_ALLOWLIST: 'registry.example.com/,public.ecr.aws/',
    });
  }, 30_000);
  afterAll(() => app?.close());

  eksCases({
    app: () => app,
    kube,
    prefix: 'ek',
    selfNamespace: 'platform-api',
    allowlisted: 'ek-shared',
  });

  it('reports the Kubernetes API (and its stamped version) in /health', async () => {
    const res = await app.inject({ method: 'GET', url: '/health' });
    expect(res.json().details.kubernetes).toMatchObject({ status: 'up', version: 'v1.35.4' });
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
    const doc = (await app.inject({ method: 'GET', url: '/docs-json', headers: auth })).json();
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
    ['GET', '/v1/namespaces', undefined],
    ['POST', '/v1/namespaces', { name: 'team-a' }],
    ['DELETE', '/v1/namespaces/team-a', undefined],
    ['GET', '/v1/namespaces/team-a/jobs/x/logs', undefined],
    [
      'POST',
      '/api/eks-create-job',
      {
        namespace: 'team-a',
        job_manifest: {
          spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
        },
      },
    ],
    ['GET', '/api/eks-get-job-status?job_name=a&namespace=b', undefined],
    ['POST', '/api/eks-create-namespace', { namespace_name: 'team-a' }],
  ] as const)('%s %s (valid input) answers 503 naming K8S_AUTH', async (method, url, payload) => {
    const res = await app.inject({ method, url, headers: auth, payload });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({
      message: expect.stringMatching(/^Kubernetes is not configured: set K8S_AUTH /),
      code: 'KUBERNETES_NOT_CONFIGURED',
    });
  });

  // Like every other route: the input is checked before the dependency, so a client fixes its
  // request without waiting for Kubernetes to be configured.
  it.each([
    ['POST', '/v1/namespaces', {}],
    ['DELETE', '/v1/namespaces/Team_A', undefined],
    ['POST', '/api/eks-create-job', {}],
    ['GET', '/api/eks-get-job-status?job_name=a', undefined],
    ['DELETE', '/api/eks-delete-namespace?namespace_name=-x', undefined],
  ] as const)('%s %s (invalid input) answers 400 before 503', async (method, url, payload) => {
    const res = await app.inject({ method, url, headers: auth, payload });
    expect(res.statusCode).toBe(400);
  });
});
