import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Redis } from 'ioredis';
import { CounterService } from '../src/counter';
import { closeRedis } from '../src/infra/redis';
import { auth, bootApp } from './support/app';
import {
  counterTag,
  REDIS_MODES,
  redisClient,
  redisEnv,
  untilRedisReady,
} from './support/redis-modes';

const MAX = Number.MAX_SAFE_INTEGER;
const unique = (base: string) => `${base}-${randomUUID().slice(0, 8)}`;

describe.each(REDIS_MODES)('counters (embedded Redis, %s)', (mode) => {
  /** Default REDIS_KEY_PREFIX + COUNTER_KEY_PREFIX + 'value:'; the name in a hash tag in cluster mode. */
  const valueKey = (name: string) => `platform:counter:value:${counterTag(mode, name)}`;
  let app: NestFastifyApplication;
  let redis: Redis;
  beforeAll(async () => {
    app = await bootApp(redisEnv(mode));
    await untilRedisReady(app);
    redis = redisClient(mode);
  });
  afterAll(async () => {
    await app.close();
    await closeRedis(redis);
  });

  const read = (name: string) =>
    app.inject({ method: 'GET', url: `/v1/counters/${name}`, headers: auth });
  const increment = (name: string, body?: unknown, key?: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/counters/${name}/increment`,
      headers: { ...auth, ...(key ? { 'idempotency-key': key } : {}) },
      ...(body === undefined ? {} : { payload: body as object }),
    });
  const reset = (name: string, key?: string) =>
    app.inject({
      method: 'POST',
      url: `/v1/counters/${name}/reset`,
      headers: { ...auth, ...(key ? { 'idempotency-key': key } : {}) },
    });

  describe('read, increment, reset', () => {
    it('reads a counter never written as 0 without creating it', async () => {
      const name = unique('fresh');
      const res = await read(name);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ name, value: 0 });
      expect(await redis.exists(valueKey(name))).toBe(0);
    });

    it('increments by 1 by default, by `by` otherwise (negative too), and resets to 0', async () => {
      const name = unique('basic');
      expect((await increment(name)).json()).toEqual({ name, value: 1 });
      const five = await increment(name, { by: 5 });
      expect(five.statusCode).toBe(200);
      expect(five.json()).toEqual({ name, value: 6 });
      expect((await increment(name, { by: -10 })).json()).toEqual({ name, value: -4 });
      expect((await increment(name, {})).json()).toEqual({ name, value: -3 });
      expect((await read(name)).json()).toEqual({ name, value: -3 });
      const zero = await reset(name);
      expect(zero.statusCode).toBe(200);
      expect(zero.json()).toEqual({ name, value: 0 });
      expect((await read(name)).json()).toEqual({ name, value: 0 });
      expect(await redis.get(valueKey(name))).toBe('0');
    });

    it('applies 1000 concurrent increments exactly once each', async () => {
      const name = unique('concurrent');
      const results = await Promise.all(Array.from({ length: 1000 }, () => increment(name)));
      expect(results.every((r) => r.statusCode === 200)).toBe(true);
      // Every intermediate value was handed out exactly once.
      expect(new Set(results.map((r) => r.json().value)).size).toBe(1000);
      expect((await read(name)).json().value).toBe(1000);
    });

    it('sums a concurrent mix of `by` values exactly', async () => {
      const name = unique('mix');
      const bys = Array.from(
        { length: 400 },
        (_, i) => [1, -3, 7, 1_000_000_000, -999_999_999, 0, 42][i % 7],
      );
      const results = await Promise.all(bys.map((by) => increment(name, { by })));
      expect(results.map((r) => r.statusCode).filter((s) => s !== 200)).toEqual([]);
      expect((await read(name)).json().value).toBe(bys.reduce((a, b) => a + b, 0));
    });

    it('refuses a result beyond ±(2^53−1) with 422 and leaves the counter unchanged', async () => {
      const name = unique('edge');
      await redis.set(valueKey(name), String(MAX - 1));
      expect((await increment(name)).json()).toEqual({ name, value: MAX });
      const over = await increment(name);
      expect(over.statusCode).toBe(422);
      expect(over.json()).toMatchObject({
        statusCode: 422,
        message: expect.stringMatching(/Nothing was changed/),
      });
      expect((await read(name)).json()).toEqual({ name, value: MAX });
      expect(await redis.get(valueKey(name))).toBe(String(MAX));

      await redis.set(valueKey(name), String(-MAX + 10));
      expect((await increment(name, { by: -11 })).statusCode).toBe(422);
      expect((await increment(name, { by: -10 })).json()).toEqual({ name, value: -MAX });
    });
  });

  describe('Idempotency-Key', () => {
    it('applies once; a replay returns the first body and moves nothing', async () => {
      const name = unique('idem');
      const key = randomUUID();
      const first = await increment(name, { by: 3 }, key);
      expect(first.statusCode).toBe(200);
      await increment(name, { by: 10 }); // someone else moves it meanwhile
      const replay = await increment(name, { by: 3 }, key);
      expect(replay.statusCode).toBe(200);
      expect(replay.json()).toEqual(first.json());
      expect(replay.json()).toEqual({ name, value: 3 });
      expect((await read(name)).json().value).toBe(13);
    });

    it('treats an absent `by` and `by: 1` as the same request', async () => {
      const name = unique('idem-default');
      const key = randomUUID();
      expect((await increment(name, undefined, key)).json().value).toBe(1);
      expect((await increment(name, { by: 1 }, key)).json().value).toBe(1);
      expect((await read(name)).json().value).toBe(1);
    });

    it('applies 50 concurrent requests with one key once, and all get the same answer', async () => {
      const name = unique('idem-race');
      const key = randomUUID();
      const results = await Promise.all(
        Array.from({ length: 50 }, () => increment(name, { by: 2 }, key)),
      );
      expect(results.map((r) => r.statusCode)).toEqual(Array(50).fill(200));
      expect(new Set(results.map((r) => r.body))).toEqual(
        new Set([JSON.stringify({ name, value: 2 })]),
      );
      expect((await read(name)).json().value).toBe(2);
    });

    it('answers 422 for the same key with another body, operation or counter, and changes nothing', async () => {
      const name = unique('idem-conflict');
      const key = randomUUID();
      await increment(name, { by: 1 }, key);
      const other = unique('other');
      const onOther = await increment(other, { by: 1 }, key);
      // Cluster mode: a key's record lives in its counter's slot, so keys are per counter.
      if (mode === 'cluster') expect(onOther.json()).toEqual({ name: other, value: 1 });
      for (const res of [
        await increment(name, { by: 2 }, key),
        await reset(name, key),
        ...(mode === 'standalone' ? [onOther] : []),
      ]) {
        expect(res.statusCode).toBe(422);
        expect(res.json()).toMatchObject({
          statusCode: 422,
          message: expect.stringMatching(/Idempotency-Key/),
        });
      }
      expect((await read(name)).json().value).toBe(1);
    });

    it('makes a reset idempotent too', async () => {
      const name = unique('idem-reset');
      const key = randomUUID();
      await increment(name, { by: 4 });
      expect((await reset(name, key)).json()).toEqual({ name, value: 0 });
      await increment(name, { by: 4 });
      expect((await reset(name, key)).json()).toEqual({ name, value: 0 });
      expect((await read(name)).json().value).toBe(4);
    });

    it('does not record a refused (422) request: it may succeed once the counter allows it', async () => {
      const name = unique('idem-range');
      const key = randomUUID();
      await redis.set(valueKey(name), String(MAX));
      expect((await increment(name, { by: 1 }, key)).statusCode).toBe(422);
      await redis.set(valueKey(name), '0');
      expect((await increment(name, { by: 1 }, key)).json()).toEqual({ name, value: 1 });
    });

    it.each([
      ['too long', 'k'.repeat(129)],
      ['a space', 'has space'],
      ['non-ASCII', 'clé'],
    ])('rejects a key with %s with 400 naming Idempotency-Key', async (_, key) => {
      const name = unique('idem-bad');
      const res = await app.inject({
        method: 'POST',
        url: `/v1/counters/${name}/increment`,
        headers: { ...auth, 'idempotency-key': Buffer.from(key, 'utf8').toString('latin1') },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([
        { field: 'Idempotency-Key', messages: [expect.any(String)] },
      ]);
      expect(await redis.exists(valueKey(name))).toBe(0);
    });

    it('accepts a 128-character key', async () => {
      const res = await increment(
        unique('idem-long'),
        undefined,
        'k'.repeat(127) + randomUUID().slice(0, 1),
      );
      expect(res.statusCode).toBe(200);
    });
  });

  describe('bad input → 400 naming the field', () => {
    it.each(['UPPER', '-lead', '.dot', 'a'.repeat(65), 'has%20space', '%C3%BC', 'a%2Fb'])(
      'rejects the name %s',
      async (name) => {
        for (const res of [await read(name), await increment(name), await reset(name)]) {
          expect(res.statusCode).toBe(400);
          expect(res.json()).toMatchObject({ statusCode: 400, errors: [{ field: 'name' }] });
        }
      },
    );

    it('accepts a 64-character name made of every allowed character', async () => {
      const name = `0a._-${'z'.repeat(59)}`;
      expect((await read(name)).statusCode).toBe(200);
    });

    it.each<[string, unknown, string]>([
      ['a fraction', { by: 1.5 }, 'by'],
      ['a numeric string', { by: '5' }, 'by'],
      ['a boolean', { by: true }, 'by'],
      ['null', { by: null }, 'by'],
      ['an array', { by: [1] }, 'by'],
      ['more than 1e9', { by: 1_000_000_001 }, 'by'],
      ['less than -1e9', { by: -1_000_000_001 }, 'by'],
      ['an unknown field', { by: 1, step: 2 }, 'step'],
    ])('rejects a body with %s', async (_, body, field) => {
      const name = unique('bad-body');
      const res = await increment(name, body);
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field })]),
      );
      expect(res.json().message).toContain(field);
      expect(await redis.exists(valueKey(name))).toBe(0);
    });

    it.each<[string, string]>([
      ['5', 'body'],
      ['"x"', 'body'],
      ['[1]', 'body'],
      ['null', 'body'],
    ])('rejects the body %s, which is not an object', async (payload, field) => {
      {
        const res = await app.inject({
          method: 'POST',
          url: `/v1/counters/${unique('bad')}/increment`,
          headers: { ...auth, 'content-type': 'application/json' },
          payload,
        });
        expect(res.statusCode).toBe(400);
        expect(res.json().errors).toEqual([expect.objectContaining({ field })]);
      }
    });

    it('validates in the service too, for callers other than the controller', async () => {
      const svc = app.get(CounterService);
      await expect(svc.get('Bad Name')).rejects.toMatchObject({ status: 400 });
      await expect(svc.increment('ok', 0.5)).rejects.toMatchObject({ status: 400 });
      await expect(svc.increment('ok', 2e9)).rejects.toMatchObject({ status: 400 });
      await expect(svc.reset('ok', ' ')).rejects.toMatchObject({ status: 400 });
      const name = unique('svc');
      await expect(svc.increment(name, 2, 'svc-key-' + name)).resolves.toEqual({ name, value: 2 });
      await expect(svc.increment(name, 2, 'svc-key-' + name)).resolves.toEqual({ name, value: 2 });
      await expect(svc.get(name)).resolves.toEqual({ name, value: 2 });
    });
  });

  it('needs an API key', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/counters/x' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('counts operations by operation and result in counter_operations_total', async () => {
    const name = unique('metrics');
    const key = randomUUID();
    await increment(name, undefined, key);
    await increment(name, undefined, key);
    await increment(name, { by: 2 }, key);
    await read('BAD');
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const [operation, result] of [
      ['increment', 'ok'],
      ['increment', 'replayed'],
      ['increment', 'conflict'],
    ]) {
      expect(text).toMatch(
        new RegExp(
          `^counter_operations_total\\{operation="${operation}",result="${result}"\\} [1-9]`,
          'm',
        ),
      );
    }
  });

  it('documents the routes with the Idempotency-Key header', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    const inc = doc.paths['/v1/counters/{name}/increment'].post;
    expect(inc.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['name', 'Idempotency-Key']),
    );
    expect(Object.keys(inc.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '422', '503']),
    );
    expect(doc.paths['/v1/counters/{name}'].get).toBeDefined();
    expect(doc.paths['/v1/counters/{name}/reset'].post).toBeDefined();
  });
});

describe('Idempotency-Key expiry', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await bootApp({ COUNTER_IDEMPOTENCY_TTL_SECONDS: '1' });
  });
  afterAll(() => app.close());

  it('works again (applies anew) once the key has expired', async () => {
    const name = unique('expiry');
    const key = randomUUID();
    const send = () =>
      app.inject({
        method: 'POST',
        url: `/v1/counters/${name}/increment`,
        headers: { ...auth, 'idempotency-key': key },
      });
    expect((await send()).json().value).toBe(1);
    expect((await send()).json().value).toBe(1);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await send()).json().value).toBe(2);
  });
});
