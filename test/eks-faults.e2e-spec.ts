import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import { startEksFakes, type EksFakes } from './support/fake-kube/eks-env';

const IMAGE = 'registry.example.com/tools/report:1.2';

/**
 * What a real API server cannot be made to do, on the fake one (HTTPS, throw-away CA, every
 * request's EKS IAM token verified): the IAM token path, forced 401/403/500, a hang, an outage.
 * Everything else about the eks routes runs against a real kube-apiserver (test/eks.e2e-spec.ts).
 */
describe('eks faults and the IAM token path (fake API server over HTTPS)', () => {
  let fakes: EksFakes;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    fakes = await startEksFakes();
    fakes.kube.addNamespace('team-a', { 'app.kubernetes.io/managed-by': 'platform-api' });
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

  it('maps forced API server errors: 403 → 502 naming RBAC, 500 → 503', async () => {
    fakes.kube.failNext(403);
    const forbidden = await req('GET', '/v1/namespaces');
    expect(forbidden.statusCode).toBe(502);
    expect(forbidden.json().message).toMatch(/RBAC/);
    fakes.kube.failNext(500);
    expect((await req('GET', '/v1/namespaces')).statusCode).toBe(503);
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

  it('answers 503 within K8S_REQUEST_TIMEOUT_MS when the API server hangs', async () => {
    fakes.kube.hangNext();
    const started = Date.now();
    const res = await req('GET', '/v1/namespaces/team-a');
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toMatch(/Kubernetes API is unavailable/);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1400); // K8S_REQUEST_TIMEOUT_MS=1500 in eks-env.ts
    expect(took).toBeLessThan(5000);
    expect((await req('GET', '/v1/namespaces/team-a')).statusCode).toBe(200);
  });

  it('exports k8s_requests_total and k8s_request_duration_seconds', async () => {
    expect((await req('POST', '/v1/namespaces/team-a/jobs', { image: IMAGE })).statusCode).toBe(
      201,
    );
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
