import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import { startEksFakes, type EksFakes } from './support/fake-kube/eks-env';
import { waitFor } from './support/ingest';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';

jest.setTimeout(30_000);

const K8S_TIMEOUT_MS = 1000;
const HEALTH_TIMEOUT_MS = 1000;

/**
 * The Kubernetes API server accepts connections and never answers (hang), or answers half and
 * stalls: the eks routes answer 503 within K8S_REQUEST_TIMEOUT_MS, readiness within its check
 * timeout, the client itself gives the stuck connections up (undici's headers/body timeouts, not
 * just an abandoned promise), and everything works again once the server answers. The fake API
 * server is reached through a TCP proxy (TLS passes through it; DescribeCluster names the proxy).
 */
describe.each(['hang', 'stall'] as const)('eks: an API server that %ss', (mode) => {
  let fakes: EksFakes;
  let proxy: TcpProxy;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    fakes = await startEksFakes({
      K8S_REQUEST_TIMEOUT_MS: String(K8S_TIMEOUT_MS),
      HEALTH_CHECK_TIMEOUT_MS: String(HEALTH_TIMEOUT_MS),
    });
    proxy = await startTcpProxy(Number(new URL(fakes.kube.url).port));
    fakes.kube.url = `https://127.0.0.1:${proxy.port}`; // what DescribeCluster answers
    app = await bootApp({ ...fakes.env, INGEST_ENABLED: 'false' });
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    await fakes?.stop();
  });
  const timed = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const t0 = Date.now();
    const res = await app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
    return { status: res.statusCode, ms: Date.now() - t0, message: res.json().message as string };
  };

  it('answers 503 within the request timeout, drops the stuck connections, and recovers', async () => {
    expect((await timed('GET', '/v1/namespaces')).status).toBe(200);
    proxy.cut(mode);
    try {
      const answers = await Promise.all([
        timed('GET', '/v1/namespaces'),
        timed('GET', '/v1/namespaces/shared-batch/jobs'),
        timed('POST', '/v1/namespaces/shared-batch/jobs', {
          image: 'registry.example.com/tools/report:1.2',
          command: ['true'],
        }),
      ]);
      for (const a of answers) {
        expect({ ...a, slow: a.ms > K8S_TIMEOUT_MS + 700 }).toMatchObject({
          status: 503,
          slow: false,
          message: expect.stringMatching(/Kubernetes API is unavailable/),
        });
      }
      const t0 = Date.now();
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
      expect(Date.now() - t0).toBeLessThan(HEALTH_TIMEOUT_MS + 700);
      // The client closes what it sent into the void itself: nothing piles up while it lasts.
      await waitFor('no connection left stuck', async () => proxy.stuck === 0, 5000, 100);
    } finally {
      proxy.resume();
    }
    await waitFor('the routes answer again', async () => {
      const a = await timed('GET', '/v1/namespaces');
      return a.status === 200 || undefined;
    });
    expect((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode).toBe(200);
  });
});
