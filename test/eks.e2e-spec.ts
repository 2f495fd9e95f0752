import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import { startEksFakes, type EksFakes } from './support/fake-kube/eks-env';

const IMAGE = 'registry.example.com/tools/report:1.2';

describe('eks: namespaces and jobs over IAM auth (fake API server over HTTPS)', () => {
  let fakes: EksFakes;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    fakes = await startEksFakes();
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

  it('described the cluster once at start and signs every API call with a valid IAM token', async () => {
    expect(fakes.eks.calls).toHaveLength(1);
    expect(fakes.eks.calls[0].authorization).toMatch(
      /Credential=AKIDFAKEEKSTEST\/\d{8}\/eu-west-1\/eks\/aws4_request/,
    );
    const before = fakes.kube.requests.length;
    expect((await req('GET', '/v1/namespaces')).statusCode).toBe(200);
    const seen = fakes.kube.requests.slice(before);
    expect(seen.length).toBeGreaterThan(0);
    // The fake answers 401 to any token its SigV4 check rejects, so reaching here proves the signature.
    for (const r of seen) expect(r.authorization).toMatch(/^Bearer k8s-aws-v1\.[A-Za-z0-9_-]+$/);
  });

  it('creates a managed namespace labelled managed-by and Pod Security restricted', async () => {
    const res = await req('POST', '/v1/namespaces', { name: 'team-a', labels: { team: 'a' } });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'team-a', managed: true, phase: 'Active' });
    expect(fakes.kube.namespaces.get('team-a')!.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'platform-api',
      'pod-security.kubernetes.io/enforce': 'restricted',
      team: 'a',
    });
    const again = await req('POST', '/v1/namespaces', { name: 'team-a' });
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(/already exists/);
  });

  it('lists only managed namespaces and reads one', async () => {
    const list = await req('GET', '/v1/namespaces');
    const names = list.json().items.map((n: { name: string }) => n.name);
    expect(names).toContain('team-a');
    expect(names).not.toContain('default');
    expect(names).not.toContain('kube-system');
    expect((await req('GET', '/v1/namespaces/team-a')).json()).toMatchObject({
      name: 'team-a',
      managed: true,
    });
    expect((await req('GET', '/v1/namespaces/unmanaged')).statusCode).toBe(403);
    expect((await req('GET', '/v1/namespaces/nope-nope')).statusCode).toBe(404);
  });

  it('refuses reserved names and forged labels on create', async () => {
    for (const name of ['kube-evil', 'default', 'platform-api']) {
      expect((await req('POST', '/v1/namespaces', { name })).statusCode).toBe(403);
    }
    const forged = await req('POST', '/v1/namespaces', {
      name: 'team-f',
      labels: { 'pod-security.kubernetes.io/enforce': 'privileged' },
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().errors[0].field).toBe('labels.pod-security.kubernetes.io/enforce');
  });

  it.each(['Team-A', '-team', 'team_a', 'a'.repeat(64), 'team.a'])(
    'rejects the namespace name %j (DNS-1123) with 400 naming the field',
    async (name) => {
      const res = await req('POST', '/v1/namespaces', { name });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors[0].field).toBe('name');
    },
  );

  it('rejects a bad name in a path too', async () => {
    const res = await req('GET', '/v1/namespaces/Bad_Name/jobs');
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].field).toBe('ns');
  });

  it('deletes only managed namespaces', async () => {
    for (const ns of ['default', 'kube-system', 'platform-api', 'unmanaged', 'shared-batch']) {
      const res = await req('DELETE', `/v1/namespaces/${ns}`);
      expect(res.statusCode).toBe(403);
      expect(fakes.kube.namespaces.has(ns)).toBe(true);
    }
    await req('POST', '/v1/namespaces', { name: 'team-gone' });
    const res = await req('DELETE', '/v1/namespaces/team-gone');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ name: 'team-gone', phase: 'Terminating' });
    expect(fakes.kube.namespaces.has('team-gone')).toBe(false);
  });

  it('runs a safe job: 201, and the Job the API server received has every enforced field', async () => {
    const res = await req('POST', '/v1/namespaces/team-a/jobs', {
      image: IMAGE,
      command: ['sh', '-c'],
      args: ['echo hi'],
      env: [{ name: 'MODE', value: 'full' }],
      resources: { requests: { cpu: '250m', memory: '256Mi' } },
      labels: { team: 'a' },
    });
    expect(res.statusCode).toBe(201);
    const view = res.json();
    expect(view).toMatchObject({
      namespace: 'team-a',
      state: 'pending',
      active: 0,
      succeeded: 0,
      failed: 0,
    });
    expect(view.name).toMatch(/^job-[a-z2-7]{10}$/);
    const job = fakes.kube.jobs.get(`team-a/${view.name}`)!;
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
      hostNetwork: false,
      hostPID: false,
      hostIPC: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65532,
        seccompProfile: { type: 'RuntimeDefault' },
      },
    });
    expect(pod.serviceAccountName).toBeUndefined();
    expect(pod.containers).toHaveLength(1);
    const c = pod.containers[0];
    expect(c).toMatchObject({
      image: IMAGE,
      command: ['sh', '-c'],
      args: ['echo hi'],
      env: [{ name: 'MODE', value: 'full' }],
    });
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
    expect(pod.volumes.map((v: Record<string, unknown>) => Object.keys(v).sort())).toEqual([
      ['emptyDir', 'name'],
    ]);
  });

  it('names jobs randomly, never from the clock, and keeps a given name', async () => {
    const names = new Set<string>();
    for (let i = 0; i < 5; i++)
      names.add((await req('POST', '/v1/namespaces/team-a/jobs', { image: IMAGE })).json().name);
    expect(names.size).toBe(5);
    const named = await req('POST', '/v1/namespaces/team-a/jobs', {
      name: 'nightly',
      image: IMAGE,
    });
    expect(named.json().name).toBe('nightly');
    expect(
      (await req('POST', '/v1/namespaces/team-a/jobs', { name: 'nightly', image: IMAGE }))
        .statusCode,
    ).toBe(409);
  });

  it('follows a job from pending to running to succeeded, with its logs', async () => {
    const { name } = (await req('POST', '/v1/namespaces/team-a/jobs', { image: IMAGE })).json();
    fakes.kube.setJob('team-a', name, 'running', 'line 1\nline 2\nline 3\n');
    expect((await req('GET', `/v1/namespaces/team-a/jobs/${name}`)).json()).toMatchObject({
      state: 'running',
      active: 1,
    });
    fakes.kube.setJob('team-a', name, 'succeeded');
    const done = (await req('GET', `/v1/namespaces/team-a/jobs/${name}`)).json();
    expect(done).toMatchObject({
      name,
      state: 'succeeded',
      succeeded: 1,
      active: 0,
      conditions: [{ type: 'Complete', status: 'True' }],
    });
    expect(done.startTime).toEqual(expect.any(String));
    expect(done.completionTime).toEqual(expect.any(String));
    const logs = await req('GET', `/v1/namespaces/team-a/jobs/${name}/logs?tailLines=2`);
    expect(logs.statusCode).toBe(200);
    expect(logs.json()).toMatchObject({
      name,
      tailLines: 2,
      pods: [{ phase: 'Succeeded', log: 'line 2\nline 3\n' }],
    });
    const logCall = fakes.kube.requests.filter((r) => r.path.endsWith('/log')).at(-1)!;
    expect(logCall.query.get('limitBytes')).toBe(String(256 * 1024));
    const capped = await req('GET', `/v1/namespaces/team-a/jobs/${name}/logs?tailLines=999999`);
    expect(capped.json().tailLines).toBe(1000);
    expect(
      (await req('GET', `/v1/namespaces/team-a/jobs/${name}/logs?tailLines=0`)).statusCode,
    ).toBe(400);
  });

  it('reports a failed job', async () => {
    const { name } = (await req('POST', '/v1/namespaces/team-a/jobs', { image: IMAGE })).json();
    fakes.kube.setJob('team-a', name, 'failed');
    expect((await req('GET', `/v1/namespaces/team-a/jobs/${name}`)).json()).toMatchObject({
      state: 'failed',
      failed: 1,
    });
  });

  it('lists only managed jobs and refuses to touch the others', async () => {
    fakes.kube.jobs.set('team-a/foreign', {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'foreign', namespace: 'team-a', labels: { owner: 'someone-else' } },
      spec: { template: { spec: { containers: [{ name: 'x', image: 'x' }] } } },
      status: {},
    });
    const items = (await req('GET', '/v1/namespaces/team-a/jobs')).json().items;
    expect(items.length).toBeGreaterThan(0);
    expect(items.map((j: { name: string }) => j.name)).not.toContain('foreign');
    expect((await req('GET', '/v1/namespaces/team-a/jobs/foreign')).statusCode).toBe(403);
    expect((await req('DELETE', '/v1/namespaces/team-a/jobs/foreign')).statusCode).toBe(403);
    expect(fakes.kube.jobs.has('team-a/foreign')).toBe(true);
  });

  it('deletes a job with propagation Background, so its pods go too', async () => {
    const { name } = (await req('POST', '/v1/namespaces/team-a/jobs', { image: IMAGE })).json();
    fakes.kube.setJob('team-a', name, 'running');
    const res = await req('DELETE', `/v1/namespaces/team-a/jobs/${name}`);
    expect(res.statusCode).toBe(202);
    const call = fakes.kube.requests.filter((r) => r.method === 'DELETE').at(-1)!;
    expect(call.query.get('propagationPolicy') ?? call.body?.propagationPolicy).toBe('Background');
    expect(fakes.kube.jobs.has(`team-a/${name}`)).toBe(false);
    expect([...fakes.kube.pods.values()].some((p) => p.metadata.labels['job-name'] === name)).toBe(
      false,
    );
    expect((await req('GET', `/v1/namespaces/team-a/jobs/${name}`)).statusCode).toBe(404);
  });

  it('runs jobs in an allow-listed namespace but not in default, kube-* or its own', async () => {
    expect(
      (await req('POST', '/v1/namespaces/shared-batch/jobs', { image: IMAGE })).statusCode,
    ).toBe(201);
    for (const ns of ['default', 'kube-system', 'platform-api', 'unmanaged']) {
      const res = await req('POST', `/v1/namespaces/${ns}/jobs`, { image: IMAGE });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([
        { field: 'namespace', messages: [expect.stringMatching(/not managed/)] },
      ]);
      expect((await req('GET', `/v1/namespaces/${ns}/jobs`)).statusCode).toBe(403);
    }
    expect((await req('POST', '/v1/namespaces/missing-ns/jobs', { image: IMAGE })).statusCode).toBe(
      404,
    );
  });

  it('rejects env valueFrom in the structured route, naming the field', async () => {
    const res = await req('POST', '/v1/namespaces/team-a/jobs', {
      image: IMAGE,
      env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }],
    });
    expect(res.statusCode).toBe(400);
    expect(JSON.stringify(res.json().errors)).toMatch(/env\.0\.valueFrom/);
  });

  it('maps API server errors: 403 → 502 naming RBAC, 500 → 503, 422 → 400 with its message', async () => {
    fakes.kube.failNext(403);
    const forbidden = await req('GET', '/v1/namespaces');
    expect(forbidden.statusCode).toBe(502);
    expect(forbidden.json().message).toMatch(/RBAC/);
    fakes.kube.failNext(500);
    expect((await req('GET', '/v1/namespaces')).statusCode).toBe(503);
    // Within our caps but inconsistent: the API server's validation (422) decides, its message kept.
    const res = await req('POST', '/v1/namespaces/team-a/jobs', {
      image: IMAGE,
      resources: { requests: { cpu: '500m' }, limits: { cpu: '250m' } },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/must be less than or equal to cpu limit/);
  });

  it('regenerates the token once after a 401 and retries the call once', async () => {
    const metric = async () => {
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(/^eks_token_generations_total (\d+)/m.exec(text)?.[1] ?? 0);
    };
    const generated = await metric();
    fakes.kube.failNext(401);
    const before = fakes.kube.requests.length;
    const ok = await req('GET', '/v1/namespaces/team-a');
    expect(ok.statusCode).toBe(200);
    expect(fakes.kube.requests.length - before).toBe(2);
    expect(await metric()).toBe(generated + 1);
    fakes.kube.failNext(401, 2);
    const before2 = fakes.kube.requests.length;
    const rejected = await req('GET', '/v1/namespaces/team-a');
    expect(rejected.statusCode).toBe(502);
    expect(rejected.json().message).toMatch(/credentials/);
    expect(fakes.kube.requests.length - before2).toBe(2);
  });

  it('exports k8s_requests_total and k8s_request_duration_seconds', async () => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/k8s_requests_total\{verb="create",resource="jobs",code="2xx"\} \d+/);
    expect(text).toMatch(/k8s_requests_total\{verb="get",resource="namespaces",code="401"\} \d+/);
    expect(text).toMatch(
      /k8s_request_duration_seconds_bucket\{le="[^"]+",verb="list",resource="namespaces"\}/,
    );
  });

  it('answers 503 fast when the API server is unreachable (runs last: it stops the fake)', async () => {
    await fakes.kube.stop();
    const started = Date.now();
    const res = await req('GET', '/v1/namespaces');
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/Kubernetes API is unavailable/);
    expect(Date.now() - started).toBeLessThan(1500);
  });
});
