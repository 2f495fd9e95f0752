import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startRedis, type RedisProcess } from '../scripts/stack/index.ts';
import { auth, bootApp } from './support/app';
import { startProxiedRedis, type ProxiedRedis } from './support/redis-proxy';
import type { TcpProxy } from './support/tcp-proxy';

/**
 * Redis stops and comes back (a Redis of this suite's own, so the other suites are not disturbed):
 * readiness follows it, and every counter route answers 503 fast, then recovers by itself.
 */
describe('Redis outage: readiness and counters', () => {
  let redis: RedisProcess;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    redis = await startRedis();
    app = await bootApp({ REDIS_URL: redis.url, INGEST_ENABLED: 'false' });
  });
  afterAll(async () => {
    await app.close();
    await redis.stop();
  });

  const ready = () => app.inject({ method: 'GET', url: '/health/ready' });

  it('answers 503 when Redis stops, fast, and 200 again once it is back', async () => {
    expect((await ready()).statusCode).toBe(200);
    await redis.stop();
    const t0 = Date.now();
    const down = await ready();
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'error', error: { redis: { status: 'down' } } });
    await redis.start();
    const deadline = Date.now() + 5000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await ready()).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });

  const calls = {
    read: () => app.inject({ method: 'GET', url: '/v1/counters/outage', headers: auth }),
    increment: () =>
      app.inject({ method: 'POST', url: '/v1/counters/outage/increment', headers: auth }),
    'increment with a key': () =>
      app.inject({
        method: 'POST',
        url: '/v1/counters/outage/increment',
        headers: { ...auth, 'idempotency-key': 'outage-key' },
      }),
    reset: () => app.inject({ method: 'POST', url: '/v1/counters/outage/reset', headers: auth }),
    'compat read': () => app.inject({ method: 'GET', url: '/read', headers: auth }),
    'compat write': () => app.inject({ method: 'POST', url: '/write', headers: auth }),
  };

  it('answers 503 fast on every route, then recovers by itself when Redis returns', async () => {
    expect((await calls.increment()).json()).toEqual({ name: 'outage', value: 1 });
    await redis.stop();
    for (const [what, call] of Object.entries(calls)) {
      const t0 = Date.now();
      const res = await call();
      expect({ what, ms: Date.now() - t0 < 1500 }).toEqual({ what, ms: true });
      expect({ what, status: res.statusCode }).toEqual({ what, status: 503 });
      expect(res.json()).toMatchObject({
        statusCode: 503,
        message: expect.stringMatching(/Redis is unavailable/),
      });
    }
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(
      /^counter_operations_total\{operation="increment",result="unavailable"\} [1-9]/m,
    );

    // A fresh, empty server on the same port: the app reconnects and reloads the script (NOSCRIPT → EVAL).
    await redis.start();
    const deadline = Date.now() + 5000;
    let res = await calls.increment();
    while (res.statusCode !== 200 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      res = await calls.increment();
    }
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ name: 'outage', value: 1 });
    expect((await calls['increment with a key']()).json()).toEqual({ name: 'outage', value: 2 });
    expect((await calls['increment with a key']()).json()).toEqual({ name: 'outage', value: 2 });
  });
});

/**
 * Redis that accepts and never answers (hang), or answers half a reply and stalls, behind a TCP
 * proxy of this suite's own: readiness and every counter route still answer 503 within their
 * documented bound (rate limiter + one command, each REDIS_COMMAND_TIMEOUT_MS, the counter's bounded
 * from the call: with auto-pipelining it used to wait for the pipeline ahead first), and
 * everything answers again once the proxy resumes.
 */
describe.each(['hang', 'stall'] as const)('Redis that %ss: readiness and counters', (mode) => {
  let redis: ProxiedRedis;
  let proxy: TcpProxy;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    redis = await startProxiedRedis();
    proxy = redis.proxy;
    app = await bootApp({ REDIS_URL: redis.url, INGEST_ENABLED: 'false' });
  });
  afterAll(async () => {
    await app.close();
    await redis.stop();
  });

  const calls: Record<string, () => ReturnType<NestFastifyApplication['inject']>> = {
    ready: () => app.inject({ method: 'GET', url: '/health/ready' }),
    read: () => app.inject({ method: 'GET', url: '/v1/counters/hang', headers: auth }),
    increment: () =>
      app.inject({ method: 'POST', url: '/v1/counters/hang/increment', headers: auth }),
    reset: () => app.inject({ method: 'POST', url: '/v1/counters/hang/reset', headers: auth }),
    'compat read': () => app.inject({ method: 'GET', url: '/read', headers: auth }),
  };

  it('answers 503 within 2 × REDIS_COMMAND_TIMEOUT_MS on readiness and every counter route, and recovers', async () => {
    expect((await calls.increment()).statusCode).toBe(200);
    proxy.cut(mode);
    try {
      for (const [what, call] of Object.entries(calls)) {
        const t0 = Date.now();
        const res = await call();
        expect({ what, status: res.statusCode, fast: Date.now() - t0 < 2 * 1000 + 500 }).toEqual({
          what,
          status: 503,
          fast: true,
        });
      }
    } finally {
      proxy.resume();
    }
    const deadline = Date.now() + 5000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await calls.read()).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
    expect((await calls.ready()).statusCode).toBe(200);
  });
});
