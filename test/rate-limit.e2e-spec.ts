import { setTimeout as sleep } from 'node:timers/promises';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startRedis, type RedisProcess } from '../scripts/stack/index.ts';
import { bootApp, OTHER_KEY, TEST_KEY } from './support/app';
import { allKeys, REDIS_MODES, redisClient, redisEnv } from './support/redis-modes';

/**
 * Standalone: its own Redis, where limits are counted, and the suite stops it. Cluster: the shared
 * test cluster under a key prefix of this run's own, so other suites' requests count elsewhere.
 */
describe.each(REDIS_MODES)('rate limits (%s)', (mode) => {
  let redis: RedisProcess;
  let app: NestFastifyApplication;
  const run = Math.random().toString(36).slice(2, 8);
  const prefix = mode === 'standalone' ? 'platform:' : `rl-${run}:`;
  /** Where an app of this suite keeps its Redis keys (`own` = a prefix of its own). */
  const at = (own?: string) =>
    mode === 'standalone'
      ? { REDIS_URL: redis.url, ...(own ? { REDIS_KEY_PREFIX: own } : {}) }
      : { ...redisEnv(mode), REDIS_KEY_PREFIX: own ? `${run}-${own}` : prefix };
  beforeAll(async () => {
    if (mode === 'standalone') redis = await startRedis();
    app = await bootApp({
      ...at(),
      INGEST_ENABLED: 'false',
      RATE_LIMITS: 'default=5,anonymous=3',
      RATE_LIMIT_WINDOW_SECONDS: '30',
    });
  });
  afterAll(async () => {
    await app.close();
    await redis?.stop();
  });

  const get = (url: string, key?: string) =>
    app.inject({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });

  it('limits per API key, each key in its own bucket, with RateLimit-* and Retry-After', async () => {
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await get('/', TEST_KEY)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const over = await get('/', TEST_KEY);
    expect(over.statusCode).toBe(429);
    expect(over.json()).toMatchObject({
      statusCode: 429,
      error: 'Too Many Requests',
      requestId: expect.any(String),
    });
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(30);
    const ok = await get('/', OTHER_KEY);
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['ratelimit-limit']).toBe('5');
    expect(ok.headers['ratelimit-remaining']).toBe('4');
    expect(Number(ok.headers['ratelimit-reset'])).toBeGreaterThan(0);
  });

  it('limits requests without a valid key per client IP, before authentication', async () => {
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await get('/', 'wrong-key-0000000000')).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await get('/')).statusCode).toBe(429); // same IP, no key: same anonymous bucket
    expect((await get('/', OTHER_KEY)).statusCode).toBe(200); // a valid key has its own bucket
  });

  it('limits unknown paths too for requests without a valid key (no free key guessing via 401 vs 404)', async () => {
    const probe = await bootApp({
      ...at('probe:'),
      INGEST_ENABLED: 'false',
      RATE_LIMITS: 'default=100,anonymous=2',
    });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++) {
        const res = await probe.inject({
          method: 'GET',
          url: `/v1/no-such-${i}`,
          headers: { 'x-api-key': 'guess-0000000000000000' },
        });
        statuses.push(res.statusCode);
        if (res.statusCode === 429) {
          expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
          expect(res.json()).toMatchObject({
            statusCode: 429,
            error: 'Too Many Requests',
            requestId: expect.any(String),
          });
        }
      }
      expect(statuses).toEqual([401, 401, 429]);
      const known = await probe.inject({
        method: 'GET',
        url: '/v1/no-such-route',
        headers: { 'x-api-key': TEST_KEY },
      });
      expect(known.statusCode).toBe(404); // a valid key is not limited by the anonymous bucket
    } finally {
      await probe.close();
    }
  });

  it('limits failed sign-ins to the queue UI per IP, never a signed-in user', async () => {
    const ui = await bootApp({
      ...at('ui:'),
      INGEST_ENABLED: 'false',
      RATE_LIMITS: 'default=100,anonymous=2',
    });
    const basic = (password: string) => ({
      authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`,
    });
    try {
      const statuses = [];
      for (let i = 0; i < 3; i++)
        statuses.push(
          (
            await ui.inject({
              method: 'GET',
              url: '/admin/queues',
              headers: basic('guess-000000000000'),
            })
          ).statusCode,
        );
      expect(statuses).toEqual([401, 401, 429]);
      for (let i = 0; i < 4; i++)
        expect(
          (await ui.inject({ method: 'GET', url: '/admin/queues', headers: basic(TEST_KEY) }))
            .statusCode,
        ).toBe(200);
    } finally {
      await ui.close();
    }
  });

  it('never limits health and metrics', async () => {
    for (let i = 0; i < 10; i++) expect((await get('/health/live')).statusCode).toBe(200);
    expect((await get('/metrics')).statusCode).toBe(200);
  });

  it('counts a counter increment in the counter script itself: one Redis command per request, nothing applied over the limit, invalid requests counted too', async () => {
    // A bucket of its own (own prefix), no worker (BullMQ's scripts would blur the command count).
    const own = await bootApp({
      ...at('fused:'),
      APP_ROLE: 'api',
      INGEST_ENABLED: 'false',
      RATE_LIMITS: 'default=5,anonymous=3',
      RATE_LIMIT_WINDOW_SECONDS: '30',
    });
    const client =
      mode === 'standalone' ? new (await import('ioredis')).Redis(redis.url) : redisClient(mode);
    /** Script runs Redis has served (standalone: this suite's own Redis). */
    const scripts = async () => {
      const info = await client.info('commandstats');
      return [...info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    };
    const inc = (body?: unknown) =>
      own.inject({
        method: 'POST',
        url: `/v1/counters/fused-${run}/increment`,
        headers: { 'x-api-key': TEST_KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
        payload: body ? JSON.stringify(body) : undefined,
      });
    try {
      expect((await inc()).statusCode).toBe(200); // first run: EVAL then EVALSHA, not counted
      const before = await scripts();
      const ok = [await inc(), await inc()];
      expect(ok.map((r) => r.statusCode)).toEqual([200, 200]);
      expect(ok.map((r) => r.headers['ratelimit-remaining'])).toEqual(['3', '2']);
      expect(ok[1].headers['ratelimit-limit']).toBe('5');
      expect(Number(ok[1].headers['ratelimit-reset'])).toBeGreaterThan(0);
      // A 400 (the script never runs) still counts against the limit.
      const bad = await inc({ by: 'x' });
      expect(bad.statusCode).toBe(400);
      expect((await inc()).statusCode).toBe(200); // 5th hit: the last one allowed
      const over = await inc();
      expect(over.statusCode).toBe(429);
      expect(over.json()).toMatchObject({ statusCode: 429, code: 'RATE_LIMITED' });
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      // Nothing applied by the refused one: 4 increments answered 200, value 4.
      const read = await own.inject({
        method: 'GET',
        url: `/v1/counters/fused-${run}`,
        headers: { 'x-api-key': OTHER_KEY },
      });
      expect(read.json()).toEqual({ name: `fused-${run}`, value: 4 });
      if (mode === 'standalone') {
        await sleep(100); // the 400's hit is counted after its response
        // 5 requests, 5 scripts: 3 increments and the refused one each ran one script (rate limit
        // and increment together), the 400 one hit. Counted apart it would be 3 × 2 + 1 + 1 = 8.
        // (The GET is a plain GET plus its own hit: one script, hence 6.)
        expect((await scripts()) - before).toBe(6);
      }
    } finally {
      await client.quit();
      await own.close();
    }
  });

  it('stores the counters in Redis under the key prefix, never the key itself', async () => {
    const client =
      mode === 'standalone' ? new (await import('ioredis')).Redis(redis.url) : redisClient(mode);
    const keys = await allKeys(client, '*');
    await client.quit();
    // The tasks queue (bull) and the unknown-path test (its own prefix) share this Redis.
    const ours = keys.filter((k) => k.startsWith(prefix) && !k.startsWith(`${prefix}bull:`));
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.every((k) => k.startsWith(`${prefix}rl:`))).toBe(true);
    expect(keys.join(' ')).not.toContain(TEST_KEY);
  });

  // Stopping Redis is this standalone suite's own; cluster node loss is in redis-cluster-failover.
  if (mode === 'standalone')
    it('fails open by default and closed for the groups configured so when Redis is down', async () => {
      const closed = await bootApp({
        ...at(),
        INGEST_ENABLED: 'false',
        RATE_LIMIT_FAIL_CLOSED: 'default',
      });
      try {
        await redis.stop();
        const open = await get('/', OTHER_KEY);
        expect(open.statusCode).toBe(200);
        const t0 = Date.now();
        const shut = await closed.inject({
          method: 'GET',
          url: '/',
          headers: { 'x-api-key': TEST_KEY },
        });
        expect(Date.now() - t0).toBeLessThan(1500);
        expect(shut.statusCode).toBe(503);
        expect(shut.json().message).toMatch(/Rate limiter unavailable/);
        expect(shut.json().code).toBe('DEPENDENCY_UNAVAILABLE');
      } finally {
        await closed.close();
        await redis.start();
      }
    });
});
