import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootApp } from './support/app';
import { startEksFakes, type EksFakes } from './support/fake-kube/eks-env';
import { KubeletMount } from './support/keys';

jest.setTimeout(60_000);

const IMAGE = 'registry.example.com/tools/report:1.2';
const ADMIN = 'eks-admin-key-0123456789abcdef';
const TEAM_A = 'eks-team-a-key-0123456789abcdef';
const WRITER = 'eks-writer-key-0123456789abcdef';
const LONG_ID = `${'x'.repeat(62)}--`; // a valid key id that is not a valid label value
const LONG = 'eks-long-id-key-0123456789abcdef';

/** Namespaces restriction and job owners, against the fake API server (kept apart from eks.e2e-spec.ts). */
describe('authorization on eks routes: namespaces and owners', () => {
  let fakes: EksFakes;
  let app: NestFastifyApplication;
  let mount: KubeletMount;
  beforeAll(async () => {
    fakes = await startEksFakes();
    mount = new KubeletMount(
      'keys:\n' +
        `  - id: root\n    key: ${ADMIN}\n    scopes: [admin]\n` +
        `  - id: team-a\n    key: ${TEAM_A}\n    scopes: [eks:read, eks:write, eks:namespaces]\n    namespaces: [team-a, team-a-*]\n` +
        `  - id: writer\n    key: ${WRITER}\n    scopes: [eks:read, eks:write]\n` +
        `  - id: ${LONG_ID}\n    key: ${LONG}\n    scopes: [eks:write]\n`,
    );
    app = await bootApp({ ...fakes.env, API_KEYS: undefined, API_KEYS_FILE: mount.path });
    for (const name of ['team-a', 'team-a-dev', 'team-b']) {
      const res = await call(ADMIN, 'POST', '/v1/namespaces', { name });
      expect(res.statusCode).toBe(201);
    }
  }, 30_000);
  afterAll(async () => {
    await app?.close();
    await fakes?.stop();
    mount?.remove();
  });

  const call = (key: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: { 'x-api-key': key }, ...(payload ? { payload } : {}) });
  /** The call is refused for the namespace before any Kubernetes request. */
  const refusedOutside = async (
    key: string,
    method: 'GET' | 'POST' | 'DELETE',
    url: string,
    ns: string,
    payload?: object,
  ) => {
    const before = fakes.kube.requests.length;
    const res = await call(key, method, url, payload);
    expect({ url, status: res.statusCode }).toEqual({ url, status: 403 });
    expect(res.json()).toMatchObject({
      statusCode: 403,
      code: 'AUTH_NAMESPACE_FORBIDDEN',
      namespace: ns,
      message: `API key team-a may not reach namespace ${ns} (its namespaces: team-a, team-a-*)`,
    });
    expect(fakes.kube.requests.length).toBe(before);
  };

  it('lists only the namespaces of a limited key; admin sees all', async () => {
    const names = async (key: string) =>
      (await call(key, 'GET', '/v1/namespaces')).json().items.map((n: { name: string }) => n.name);
    expect((await names(TEAM_A)).sort()).toEqual(['team-a', 'team-a-dev']);
    expect(await names(ADMIN)).toEqual(expect.arrayContaining(['team-a', 'team-a-dev', 'team-b']));
  });

  it('refuses every eks route outside its namespaces with 403, before calling Kubernetes', async () => {
    await refusedOutside(TEAM_A, 'GET', '/v1/namespaces/team-b', 'team-b');
    await refusedOutside(TEAM_A, 'DELETE', '/v1/namespaces/team-b', 'team-b');
    await refusedOutside(TEAM_A, 'POST', '/v1/namespaces', 'team-c', { name: 'team-c' });
    await refusedOutside(TEAM_A, 'POST', '/v1/namespaces/team-b/jobs', 'team-b', { image: IMAGE });
    await refusedOutside(TEAM_A, 'GET', '/v1/namespaces/team-b/jobs', 'team-b');
    await refusedOutside(TEAM_A, 'GET', '/v1/namespaces/team-b/jobs/x', 'team-b');
    await refusedOutside(TEAM_A, 'GET', '/v1/namespaces/team-b/jobs/x/logs', 'team-b');
    await refusedOutside(TEAM_A, 'DELETE', '/v1/namespaces/team-b/jobs/x', 'team-b');
    await refusedOutside(TEAM_A, 'POST', '/api/eks-create-job', 'team-b', {
      namespace: 'team-b',
      job_manifest: { spec: { template: { spec: { containers: [{ name: 'm', image: IMAGE }] } } } },
    });
    await refusedOutside(
      TEAM_A,
      'DELETE',
      '/api/eks-delete-job?namespace=team-b&job_name=x',
      'team-b',
    );
    await refusedOutside(
      TEAM_A,
      'GET',
      '/api/eks-get-job-status?namespace=team-b&job_name=x',
      'team-b',
    );
    await refusedOutside(TEAM_A, 'POST', '/api/eks-create-namespace', 'team-b', {
      namespace_name: 'team-b',
    });
    await refusedOutside(
      TEAM_A,
      'DELETE',
      '/api/eks-delete-namespace?namespace_name=team-b',
      'team-b',
    );
    expect(fakes.kube.namespaces.has('team-c')).toBe(false);
    expect(fakes.kube.namespaces.get('team-b')).toBeDefined();
  });

  it('works inside its namespaces, and records the owner on the job (view, label, annotation)', async () => {
    expect((await call(TEAM_A, 'GET', '/v1/namespaces/team-a-dev')).statusCode).toBe(200);
    const res = await call(TEAM_A, 'POST', '/v1/namespaces/team-a/jobs', {
      name: 'owned',
      image: IMAGE,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ name: 'owned', namespace: 'team-a', owner: 'team-a' });
    const stored = fakes.kube.jobs.get('team-a/owned')!;
    expect(stored.metadata.labels['platform-api/owner']).toBe('team-a');
    expect(stored.metadata.annotations['platform-api/owner']).toBe('team-a');
    const got = await call(ADMIN, 'GET', '/v1/namespaces/team-a/jobs/owned');
    expect(got.json().owner).toBe('team-a');
  });

  it('an owner id that is not a valid label value is kept as the annotation only', async () => {
    const res = await call(LONG, 'POST', '/v1/namespaces/team-b/jobs', {
      name: 'long',
      image: IMAGE,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().owner).toBe(LONG_ID);
    const stored = fakes.kube.jobs.get('team-b/long')!;
    expect(stored.metadata.labels['platform-api/owner']).toBeUndefined();
    expect(stored.metadata.annotations['platform-api/owner']).toBe(LONG_ID);
  });

  it('compat create-job creates a missing namespace only for a key holding eks:namespaces', async () => {
    const manifest = {
      spec: { template: { spec: { containers: [{ name: 'm', image: IMAGE }] } } },
    };
    const res = await call(WRITER, 'POST', '/api/eks-create-job', {
      namespace: 'fresh-ns',
      job_manifest: manifest,
    });
    expect(res.statusCode).toBe(404);
    expect(fakes.kube.namespaces.has('fresh-ns')).toBe(false);
    const ok = await call(TEAM_A, 'POST', '/api/eks-create-job', {
      namespace: 'team-a-new',
      job_manifest: manifest,
    });
    expect(ok.statusCode).toBe(200);
    expect(fakes.kube.namespaces.has('team-a-new')).toBe(true);
  });
});
