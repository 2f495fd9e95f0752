import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootApp } from './support/app';
import { CHART } from './support/chart';
import { eksCases } from './support/eks-cases';
import { IMAGE } from './support/hostile-jobs';
import { eventually, testKube, type TestKube } from './support/kube';
import { run, tool } from './support/tools';

/**
 * The chart's rights, proven on a real API server with the chart's own identity: install the
 * chart (default, minimal and production values), take a token of the installed api
 * ServiceAccount (TokenRequest), run the app with it through the eks cases, then call the API
 * server directly with the same token and be refused by the cluster (RBAC, the chart's
 * ValidatingAdmissionPolicy, Pod Security), not by our code.
 */
const kube = testKube();
/** The message of an API server Status answer. */
const msg = (r: { body: unknown; text: string }) =>
  (r.body as { message?: string })?.message ?? r.text;

/**
 * The CRDs the chart's optional objects need, made from the pinned model packages' group, version
 * and kind (package-lock pins them). Their schemas are left open: the chart suite already
 * validates every rendered object against those packages' full JSON schemas.
 */
async function applyCrds(k: TestKube): Promise<void> {
  // ESM-only packages: imported at run time (as src/ does with client-node).
  const prom = await import('@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1');
  const keda = await import('@kubernetes-models/keda/keda.sh/v1alpha1');
  const models = [
    prom.ServiceMonitor,
    prom.PrometheusRule,
    keda.ScaledObject,
    keda.TriggerAuthentication,
  ] as unknown as { apiVersion: string; kind: string }[];
  for (const { apiVersion, kind } of models) {
    const [group, version] = apiVersion.split('/');
    const plural = `${kind.toLowerCase()}s`;
    const r = await k.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.${group}` },
      spec: {
        group,
        scope: 'Namespaced',
        names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
        versions: [
          {
            name: version,
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
            },
          },
        ],
      },
    });
    if (r.status !== 201 && r.status !== 409) throw new Error(`CRD ${kind}: ${r.status} ${msg(r)}`);
    await eventually(`CRD ${kind} established`, async () => {
      const crd = await k.get(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${plural}.${group}`,
      );
      return crd?.status?.conditions?.some(
        (c: { type: string; status: string }) => c.type === 'Established' && c.status === 'True',
      );
    });
  }
}

function helmInstall(release: string, namespace: string, values: string): void {
  const r = run(
    tool('helm'),
    [
      'install',
      release,
      CHART,
      '--namespace',
      namespace,
      '--create-namespace',
      '-f',
      join(CHART, 'ci', values),
      '--kubeconfig',
      kube.kubeconfig,
    ],
    {
      env: {
        ...process.env,
        HELM_CACHE_HOME: join(tmpdir(), 'helm-cache'),
        HELM_CONFIG_HOME: join(tmpdir(), 'helm-config'),
      },
    },
  );
  if (r.status !== 0) throw new Error(`helm install ${release} (${values}) failed: ${r.stderr}`);
}

/** Whether `user` may do `verb` on `resource` (a SubjectAccessReview, asked as admin). */
async function may(user: string, verb: string, resource: string, namespace?: string, group = '') {
  const r = await kube.request('POST', '/apis/authorization.k8s.io/v1/subjectaccessreviews', {
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: {
      user,
      groups: ['system:serviceaccounts', 'system:authenticated'],
      resourceAttributes: { verb, resource, group, namespace },
    },
  });
  return (r.body as { status: { allowed: boolean } }).status.allowed;
}

let crdsReady: Promise<void> | undefined;
const crds = () => (crdsReady ??= applyCrds(kube));

describe('chart on a real API server: installs with every ci values file', () => {
  beforeAll(async () => {
    await crds();
    await kube.ensureNamespace('monitoring');
    await kube.ensureNamespace('batch-shared');
  }, 60_000);

  it.each([
    ['default-values.yaml', 'pa-default', 'def'],
    ['minimal-values.yaml', 'pa-minimal', 'min'],
  ])(
    'helm install with ci/%s',
    async (values, ns, release) => {
      helmInstall(release, ns, values);
      const fullname = `${release}-platform-api`;
      expect(
        await kube.get(`/apis/apps/v1/namespaces/${ns}/deployments/${fullname}-api`),
      ).toBeDefined();
      const api = `system:serviceaccount:${ns}:${fullname}`;
      if (values === 'minimal-values.yaml') {
        // rbac.create=false: no rights at all.
        expect(await may(api, 'create', 'namespaces')).toBe(false);
        return;
      }
      expect(
        await kube.get(
          `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${fullname}-bounds`,
        ),
      ).toBeDefined();
      expect(await may(api, 'create', 'namespaces')).toBe(true);
      expect(await may(api, 'create', 'jobs', 'default', 'batch')).toBe(false);
      expect(await may(api, 'get', 'pods/log', 'kube-system')).toBe(false);
      const worker = `system:serviceaccount:${ns}:${fullname}-worker`;
      for (const [verb, resource, group] of [
        ['create', 'namespaces', ''],
        ['list', 'namespaces', ''],
        ['create', 'jobs', 'batch'],
        ['get', 'pods', ''],
      ])
        expect([verb, resource, await may(worker, verb, resource, 'default', group)]).toEqual([
          verb,
          resource,
          false,
        ]);
    },
    120_000,
  );
});

describe("the app with the installed chart's ServiceAccount token (production values)", () => {
  const ns = 'pa-prod';
  const release = 'proof';
  const fullname = `${release}-platform-api`;
  const prefix = 'rb';
  let token = '';
  let dir = '';
  let app: NestFastifyApplication;
  const as = (method: string, path: string, body?: unknown) =>
    kube.request(method, path, body, token);

  beforeAll(async () => {
    await crds();
    await kube.ensureNamespace('monitoring');
    await kube.ensureNamespace('batch-shared');
    helmInstall(release, ns, 'production-values.yaml');
    const tr = await kube.request(
      'POST',
      `/api/v1/namespaces/${ns}/serviceaccounts/${fullname}/token`,
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { expirationSeconds: 3600 },
      },
    );
    expect(tr.status).toBe(201);
    token = (tr.body as { status: { token: string } }).status.token;
    dir = mkdtempSync(join(tmpdir(), 'platform-api-sa-'));
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        `- name: local\n  cluster:\n    server: ${kube.server}\n    certificate-authority-data: ${readFileSync(
          join(process.env.TEST_KUBE_DIR!, 'ca.crt'),
        ).toString('base64')}`,
        `users:\n- name: sa\n  user:\n    token: ${token}`,
        'contexts:\n- name: sa\n  context: {cluster: local, user: sa}',
        'current-context: sa',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    // The app gets exactly the eks configuration the chart rendered into its ConfigMap.
    const data = (await kube.get(`/api/v1/namespaces/${ns}/configmaps/${fullname}`))!
      .data as Record<string, string>;
    const chartEnv = Object.fromEntries(Object.entries(data).filter(([k]) => k.startsWith('K8S_')));
    expect(chartEnv).toMatchObject({
      K8S_AUTH: 'in-cluster',
      K8S_SELF_NAMESPACE: ns,
      K8S_NAMESPACE_ALLOWLIST: 'batch-shared',
      K8S_NAMESPACE_CLUSTER_ROLE: `${fullname}-jobs`,
      K8S_SERVICE_ACCOUNT: `${ns}/${fullname}`,
    });
    app = await bootApp({
      ...chartEnv,
      // in-cluster reads the mounted token; here the same token comes through a kubeconfig.
      K8S_AUTH: 'kubeconfig',
      KUBECONFIG: kubeconfig,
      JOB_IMAGE_ALLOWLIST: 'registry.example.com/,public.ecr.aws/',
    });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the token is the ServiceAccount, not an admin', async () => {
    const review = await as('POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
    });
    expect(
      (review.body as { status: { userInfo: { username: string } } }).status.userInfo.username,
    ).toBe(`system:serviceaccount:${ns}:${fullname}`);
  });

  eksCases({ app: () => app, kube, prefix, selfNamespace: ns, allowlisted: 'batch-shared' });

  describe('the same token, straight to the API server: refused by the cluster', () => {
    const unmanaged = `${prefix}-unmanaged`;

    it('may not delete kube-system', async () => {
      const r = await as('DELETE', '/api/v1/namespaces/kube-system');
      expect(r.status).toBe(403);
      expect(msg(r)).toMatch(/may not be deleted|ValidatingAdmissionPolicy/);
      expect((await kube.get('/api/v1/namespaces/kube-system'))?.status.phase).toBe('Active');
    });

    it("may not delete (or relabel) a namespace it does not manage: the chart's admission policy", async () => {
      const r = await as('DELETE', `/api/v1/namespaces/${unmanaged}`);
      expect(r.status).toBe(403);
      expect(msg(r)).toContain(`ValidatingAdmissionPolicy '${fullname}-bounds'`);
      expect(msg(r)).toMatch(/may change or delete only namespaces it manages/);
      expect((await kube.get(`/api/v1/namespaces/${unmanaged}`))?.status.phase).toBe('Active');
      const bare = await as('POST', '/api/v1/namespaces', { metadata: { name: `${prefix}-bare` } });
      expect(bare.status).toBe(403);
      expect(msg(bare)).toMatch(/may create only namespaces labelled/);
    });

    it('may not create a privileged pod, nor any pod, anywhere', async () => {
      const pod = {
        metadata: { name: 'evil' },
        spec: { containers: [{ name: 'c', image: IMAGE, securityContext: { privileged: true } }] },
      };
      for (const where of [`${prefix}-team`, unmanaged, 'kube-system']) {
        const r = await as('POST', `/api/v1/namespaces/${where}/pods`, pod);
        expect([where, r.status]).toEqual([where, 403]);
        expect(msg(r)).toMatch(/cannot create resource "pods"/);
      }
    });

    it('may not run a job in an unmanaged namespace, nor bind itself more rights', async () => {
      const job = await as('POST', `/apis/batch/v1/namespaces/${unmanaged}/jobs`, {
        metadata: { name: 'evil' },
        spec: {
          template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: IMAGE }] } },
        },
      });
      expect(job.status).toBe(403);
      const escalate = await as(
        'POST',
        `/apis/rbac.authorization.k8s.io/v1/namespaces/${prefix}-team/rolebindings`,
        {
          metadata: { name: 'evil' },
          roleRef: {
            apiGroup: 'rbac.authorization.k8s.io',
            kind: 'ClusterRole',
            name: 'cluster-admin',
          },
          subjects: [{ kind: 'ServiceAccount', name: fullname, namespace: ns }],
        },
      );
      expect(escalate.status).toBe(403);
    });

    it('may not read logs in an unmanaged namespace (the admin can: the pod and its log exist)', async () => {
      const created = await kube.request('POST', `/api/v1/namespaces/${unmanaged}/pods`, {
        metadata: { name: 'bystander' },
        spec: { containers: [{ name: 'c', image: IMAGE }] },
      });
      expect([201, 409]).toContain(created.status);
      await eventually(
        'bystander running',
        async () =>
          (await kube.get(`/api/v1/namespaces/${unmanaged}/pods/bystander`))?.status.phase ===
          'Running',
      );
      const path = `/api/v1/namespaces/${unmanaged}/pods/bystander/log`;
      expect((await kube.request('GET', path)).status).toBe(200);
      const r = await as('GET', path);
      expect(r.status).toBe(403);
      expect(msg(r)).toMatch(/cannot get resource "pods\/log"/);
    }, 60_000);
  });
});
