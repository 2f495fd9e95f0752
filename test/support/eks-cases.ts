import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth } from './app';
import { HOSTILE, IMAGE, manifest, P } from './hostile-jobs';
import { eventually, KWOK_LOG_LINES, KWOK_OUTCOME_LABEL, type TestKube } from './kube';

export interface EksCaseContext {
  /** The app under test, booted against the real API server. */
  app: () => NestFastifyApplication;
  kube: TestKube;
  /** Prefix of every namespace these cases make (suites share one cluster). */
  prefix: string;
  /** The app's K8S_SELF_NAMESPACE. */
  selfNamespace: string;
  /** An unmanaged namespace in the app's K8S_NAMESPACE_ALLOWLIST (the cases create it). */
  allowlisted: string;
}

const JOB_TIMEOUT = 90_000;

/**
 * The eks routes against a real kube-apiserver (with controller-manager, scheduler and KWOK
 * nodes): every case reads back what the cluster really holds, as cluster admin. Used by
 * test/eks.e2e-spec.ts (the app as cluster admin) and test/kube-rbac.e2e-spec.ts (the app with the
 * token of the ServiceAccount the chart installs), so the same cases prove both.
 */
export function eksCases(ctx: EksCaseContext): void {
  const { kube, prefix } = ctx;
  const team = `${prefix}-team`;
  const unmanaged = `${prefix}-unmanaged`;
  const req = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: unknown) =>
    ctx.app().inject({
      method,
      url,
      headers: auth,
      ...(payload !== undefined ? { payload: payload as object } : {}),
    });
  const jobOf = (ns: string, name: string) =>
    kube.get(`/apis/batch/v1/namespaces/${ns}/jobs/${name}`);
  const jobCount = async (ns: string) =>
    ((await kube.get(`/apis/batch/v1/namespaces/${ns}/jobs`))?.items ?? []).length as number;
  const until = async (ns: string, name: string, state: string) =>
    eventually(
      `job ${ns}/${name} ${state}`,
      async () => {
        const v = (await req('GET', `/v1/namespaces/${ns}/jobs/${name}`)).json();
        return v.state === state &&
          v.conditions.some((c: { type: string }) => ['Complete', 'Failed'].includes(c.type))
          ? v
          : undefined;
      },
      JOB_TIMEOUT,
    );

  beforeAll(async () => {
    await kube.ensureNamespace(unmanaged);
    await kube.ensureNamespace(ctx.allowlisted);
    await kube.ensureNamespace(ctx.selfNamespace);
  });

  it('creates a managed namespace that the API server holds with managed-by and Pod Security restricted', async () => {
    const res = await req('POST', '/v1/namespaces', { name: team, labels: { team: 'a' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: team, managed: true, phase: 'Active' });
    const ns = await kube.get(`/api/v1/namespaces/${team}`);
    expect(ns?.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'platform-api',
      'pod-security.kubernetes.io/enforce': 'restricted',
      team: 'a',
    });
    const again = await req('POST', '/v1/namespaces', { name: team });
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(/already exists/);
  });

  it('the cluster itself enforces restricted there: a privileged pod is refused by Pod Security', async () => {
    const r = await kube.request('POST', `/api/v1/namespaces/${team}/pods`, {
      metadata: { name: 'privileged' },
      spec: { containers: [{ name: 'c', image: IMAGE, securityContext: { privileged: true } }] },
    });
    expect(r.status).toBe(403);
    expect((r.body as { message: string }).message).toMatch(
      /violates PodSecurity "restricted:latest": privileged/,
    );
  });

  it('lists only managed namespaces and reads one', async () => {
    const names = (await req('GET', '/v1/namespaces'))
      .json()
      .items.map((n: { name: string }) => n.name);
    expect(names).toContain(team);
    for (const other of ['default', 'kube-system', unmanaged]) expect(names).not.toContain(other);
    expect((await req('GET', `/v1/namespaces/${team}`)).json()).toMatchObject({
      name: team,
      managed: true,
    });
    expect((await req('GET', `/v1/namespaces/${unmanaged}`)).statusCode).toBe(403);
    expect((await req('GET', `/v1/namespaces/${prefix}-nope`)).statusCode).toBe(404);
  });

  it('refuses reserved names and forged labels on create', async () => {
    for (const name of ['kube-evil', 'default', ctx.selfNamespace]) {
      expect((await req('POST', '/v1/namespaces', { name })).statusCode).toBe(403);
    }
    const forged = await req('POST', '/v1/namespaces', {
      name: `${prefix}-forged`,
      labels: { 'pod-security.kubernetes.io/enforce': 'privileged' },
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().errors[0].field).toBe('labels.pod-security.kubernetes.io/enforce');
    expect(await kube.get(`/api/v1/namespaces/${prefix}-forged`)).toBeUndefined();
  });

  it(
    'deletes only managed namespaces, and the API server removes them',
    async () => {
      for (const ns of ['default', 'kube-system', ctx.selfNamespace, unmanaged, ctx.allowlisted]) {
        const res = await req('DELETE', `/v1/namespaces/${ns}`);
        expect([ns, res.statusCode]).toEqual([ns, 403]);
        expect((await kube.get(`/api/v1/namespaces/${ns}`))?.status.phase).toBe('Active');
      }
      const gone = `${prefix}-gone`;
      expect((await req('POST', '/v1/namespaces', { name: gone })).statusCode).toBe(201);
      const res = await req('DELETE', `/v1/namespaces/${gone}`);
      expect(res.statusCode).toBe(202);
      expect(res.json()).toMatchObject({ name: gone, phase: 'Terminating' });
      await eventually(
        `namespace ${gone} removed`,
        async () => (await kube.get(`/api/v1/namespaces/${gone}`)) === undefined,
      );
    },
    JOB_TIMEOUT,
  );

  it(
    'runs a safe job to Complete: the stored Job has every enforced field, its pod was admitted as restricted and ran',
    async () => {
      const res = await req('POST', `/v1/namespaces/${team}/jobs`, {
        image: IMAGE,
        command: ['sh', '-c'],
        args: ['echo hi'],
        env: [{ name: 'MODE', value: 'full' }],
        resources: { requests: { cpu: '250m', memory: '256Mi' } },
        labels: { team: 'a' },
      });
      expect(res.statusCode).toBe(201);
      const view = res.json();
      expect(view).toMatchObject({ namespace: team, state: 'pending', succeeded: 0, failed: 0 });
      expect(view.name).toMatch(/^job-[a-z2-7]{10}$/);
      const job = (await jobOf(team, view.name))!;
      expect(job.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'platform-api',
        team: 'a',
        'platform-api/job-id': view.jobId,
      });
      expect(job.spec).toMatchObject({
        backoffLimit: 0,
        activeDeadlineSeconds: 3600,
        ttlSecondsAfterFinished: 3600,
      });
      const pod = job.spec.template.spec;
      expect(pod).toMatchObject({
        restartPolicy: 'Never',
        automountServiceAccountToken: false,
        securityContext: {
          runAsNonRoot: true,
          runAsUser: 65532,
          seccompProfile: { type: 'RuntimeDefault' },
        },
      });
      expect(pod.serviceAccountName).toBeUndefined();
      const c = pod.containers[0];
      expect(c).toMatchObject({ image: IMAGE, command: ['sh', '-c'], args: ['echo hi'] });
      expect(c.securityContext).toEqual({
        runAsNonRoot: true,
        runAsUser: 65532,
        runAsGroup: 65532,
        privileged: false,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      });
      expect(c.resources).toEqual({
        requests: { cpu: '250m', memory: '256Mi' },
        limits: { cpu: '250m', memory: '256Mi' },
      });

      const done = await until(team, view.name, 'succeeded');
      expect(done).toMatchObject({ name: view.name, succeeded: 1, active: 0, failed: 0 });
      expect(done.conditions).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'Complete', status: 'True' })]),
      );
      expect(done.startTime).toEqual(expect.any(String));
      expect(done.completionTime).toEqual(expect.any(String));
      // Pod Security (restricted) admitted the pod the job controller made from our template.
      const pods = await kube.jobPods(team, view.name);
      expect(pods).toHaveLength(1);
      expect(pods[0].status.phase).toBe('Succeeded');
      expect(pods[0].spec.nodeName).toEqual(expect.any(String));
    },
    JOB_TIMEOUT,
  );

  it(
    'reads the logs of a job through the API server (KWOK serves the container log)',
    async () => {
      const { name } = (await req('POST', `/v1/namespaces/${team}/jobs`, { image: IMAGE })).json();
      await until(team, name, 'succeeded');
      const logs = await req('GET', `/v1/namespaces/${team}/jobs/${name}/logs?tailLines=2`);
      expect(logs.statusCode).toBe(200);
      expect(logs.json()).toMatchObject({
        name,
        tailLines: 2,
        pods: [{ phase: 'Succeeded', log: `${KWOK_LOG_LINES.slice(-2).join('\n')}\n` }],
      });
      const all = (await req('GET', `/v1/namespaces/${team}/jobs/${name}/logs`)).json();
      expect(all.pods[0].log).toBe(`${KWOK_LOG_LINES.join('\n')}\n`);
      const capped = await req('GET', `/v1/namespaces/${team}/jobs/${name}/logs?tailLines=999999`);
      expect(capped.json().tailLines).toBe(1000);
      expect(
        (await req('GET', `/v1/namespaces/${team}/jobs/${name}/logs?tailLines=0`)).statusCode,
      ).toBe(400);
    },
    JOB_TIMEOUT,
  );

  it(
    'follows a job whose container fails to Failed',
    async () => {
      const res = await req('POST', `/v1/namespaces/${team}/jobs`, {
        image: IMAGE,
        labels: { [KWOK_OUTCOME_LABEL]: 'failed' },
      });
      expect(res.statusCode).toBe(201);
      const done = await until(team, res.json().name, 'failed');
      expect(done).toMatchObject({ failed: 1, succeeded: 0, active: 0 });
      expect(done.conditions).toEqual(
        expect.arrayContaining([expect.objectContaining({ type: 'Failed', status: 'True' })]),
      );
      const pods = await kube.jobPods(team, res.json().name);
      expect(pods.map((p) => p.status.phase)).toEqual(['Failed']);
    },
    JOB_TIMEOUT,
  );

  it('names jobs randomly, never from the clock, and keeps a given name', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 3; i++)
      names.add((await req('POST', `/v1/namespaces/${team}/jobs`, { image: IMAGE })).json().name);
    expect(names.size).toBe(3);
    const named = await req('POST', `/v1/namespaces/${team}/jobs`, {
      name: 'nightly',
      image: IMAGE,
    });
    expect(named.json().name).toBe('nightly');
    const again = await req('POST', `/v1/namespaces/${team}/jobs`, {
      name: 'nightly',
      image: IMAGE,
    });
    expect(again.statusCode).toBe(409);
  });

  it('lists only managed jobs and refuses to touch the others', async () => {
    const foreign = await kube.request('POST', `/apis/batch/v1/namespaces/${team}/jobs`, {
      metadata: { name: 'foreign', labels: { owner: 'someone-else' } },
      spec: {
        suspend: true,
        template: { spec: { restartPolicy: 'Never', containers: [{ name: 'x', image: IMAGE }] } },
      },
    });
    expect(foreign.status).toBe(201);
    const items = (await req('GET', `/v1/namespaces/${team}/jobs`)).json().items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.map((j: { name: string }) => j.name)).not.toContain('foreign');
    expect((await req('GET', `/v1/namespaces/${team}/jobs/foreign`)).statusCode).toBe(403);
    expect((await req('DELETE', `/v1/namespaces/${team}/jobs/foreign`)).statusCode).toBe(403);
    expect(await jobOf(team, 'foreign')).toBeDefined();
  });

  it(
    'deletes a job with its pods (propagation Background)',
    async () => {
      const { name } = (await req('POST', `/v1/namespaces/${team}/jobs`, { image: IMAGE })).json();
      await eventually(`a pod of ${name}`, async () => (await kube.jobPods(team, name)).length > 0);
      const res = await req('DELETE', `/v1/namespaces/${team}/jobs/${name}`);
      expect(res.statusCode).toBe(202);
      expect((await req('GET', `/v1/namespaces/${team}/jobs/${name}`)).statusCode).toBe(404);
      expect(await jobOf(team, name)).toBeUndefined();
      // The garbage collector removes the pods the Job owned.
      await eventually(
        `the pods of ${name} removed`,
        async () => (await kube.jobPods(team, name)).length === 0,
      );
    },
    JOB_TIMEOUT,
  );

  it(
    'runs jobs in an allow-listed namespace but not in default, kube-*, its own or unmanaged ones',
    async () => {
      const ok = await req('POST', `/v1/namespaces/${ctx.allowlisted}/jobs`, { image: IMAGE });
      expect(ok.statusCode).toBe(201);
      await until(ctx.allowlisted, ok.json().name, 'succeeded');
      for (const ns of ['default', 'kube-system', ctx.selfNamespace, unmanaged]) {
        const before = await jobCount(ns);
        const res = await req('POST', `/v1/namespaces/${ns}/jobs`, { image: IMAGE });
        expect([ns, res.statusCode]).toEqual([ns, 400]);
        expect(res.json().errors).toEqual([
          { field: 'namespace', messages: [expect.stringMatching(/not managed/)] },
        ]);
        expect((await req('GET', `/v1/namespaces/${ns}/jobs`)).statusCode).toBe(403);
        expect(await jobCount(ns)).toBe(before);
      }
      expect(
        (await req('POST', `/v1/namespaces/${prefix}-missing/jobs`, { image: IMAGE })).statusCode,
      ).toBe(404);
    },
    JOB_TIMEOUT,
  );

  it('rejects env valueFrom in the structured route, naming the field', async () => {
    const res = await req('POST', `/v1/namespaces/${team}/jobs`, {
      image: IMAGE,
      env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
    });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json().errors)).toMatch(/env\.0\.valueFrom/);
  });

  it("maps the API server's own validation (422) to 400 with its message", async () => {
    const res = await req('POST', `/v1/namespaces/${team}/jobs`, {
      image: IMAGE,
      resources: { requests: { cpu: '500m' }, limits: { cpu: '250m' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/must be less than or equal to cpu limit/);
  });

  it.each(HOSTILE)(
    'refuses the hostile manifest "%s" with 400 listing every violation; the cluster gets nothing',
    async (_what, job_manifest, paths) => {
      const before = await jobCount(team);
      const res = await req('POST', '/api/eks-create-job', { namespace: team, job_manifest });
      expect(res.statusCode).toBe(400);
      const fields = res.json().errors.map((e: { field: string }) => e.field);
      expect(fields.sort()).toEqual([...paths].sort());
      expect(await jobCount(team)).toBe(before);
    },
  );

  it('refuses a hostile manifest in a namespace it may not use, listing that too', async () => {
    const res = await req('POST', '/api/eks-create-job', {
      namespace: 'default',
      job_manifest: manifest({ hostNetwork: true }),
    });
    expect(res.statusCode).toBe(400);
    const fields = res.json().errors.map((e: { field: string }) => e.field);
    expect(fields.sort()).toEqual(['namespace', `${P}.hostNetwork`]);
  });

  it(
    'compat: runs the seed example manifest, creating its namespace as a managed one, and reports it in the seed shape',
    async () => {
      const ns = `${prefix}-seed`;
      const res = await req('POST', '/api/eks-create-job', {
        namespace: ns,
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
        namespace: ns,
      });
      expect((await kube.get(`/api/v1/namespaces/${ns}`))?.metadata.labels).toMatchObject({
        'app.kubernetes.io/managed-by': 'platform-api',
        'pod-security.kubernetes.io/enforce': 'restricted',
      });
      const job = (await jobOf(ns, 'seed-example'))!;
      expect(job.spec.backoffLimit).toBe(1);
      expect(job.spec.template.spec.nodeSelector).toBeUndefined();
      expect(job.spec.template.spec.containers[0]).toMatchObject({
        command: ['echo', 'Hello World'],
        securityContext: { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false },
      });
      const q = `job_name=seed-example&namespace=${ns}`;
      const status = await eventually(
        'seed-example succeeded',
        async () => {
          const s = (await req('GET', `/api/eks-get-job-status?${q}`)).json();
          return s.state === 'succeeded' && s.completion_time ? s : undefined;
        },
        JOB_TIMEOUT,
      );
      expect(status).toEqual({
        job_name: 'seed-example',
        namespace: ns,
        state: 'succeeded',
        active: 0,
        succeeded: 1,
        failed: 0,
        start_time: expect.any(String),
        completion_time: expect.any(String),
      });
      expect((await req('DELETE', `/api/eks-delete-job?${q}`)).statusCode).toBe(200);
      expect(await jobOf(ns, 'seed-example')).toBeUndefined();
      expect((await req('GET', `/api/eks-get-job-status?${q}`)).statusCode).toBe(404);
    },
    JOB_TIMEOUT,
  );

  it('compat: creates and deletes namespaces through the seed routes, with the same rules', async () => {
    const ns = `${prefix}-seedns`;
    const made = await req('POST', '/api/eks-create-namespace', { namespace_name: ns });
    expect(made.statusCode).toBe(200);
    expect(made.json()).toMatchObject({ status: 'success', namespace_name: ns });
    expect((await kube.get(`/api/v1/namespaces/${ns}`))?.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'platform-api',
    });
    for (const other of ['kube-system', unmanaged]) {
      const r = await req('DELETE', `/api/eks-delete-namespace?namespace_name=${other}`);
      expect(r.statusCode).toBe(403);
    }
    expect((await req('DELETE', `/api/eks-delete-namespace?namespace_name=${ns}`)).statusCode).toBe(
      200,
    );
    expect((await kube.get(`/api/v1/namespaces/${ns}`))?.status.phase ?? 'gone').toMatch(
      /Terminating|gone/,
    );
    const bad = await req('POST', '/api/eks-create-namespace', { namespace_name: 'Bad Name' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('namespace_name');
  });
}
