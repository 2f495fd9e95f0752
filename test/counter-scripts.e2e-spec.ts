import { startRedis, type RedisProcess } from '../scripts/stack/index.ts';
import { apply, cancelIncrement, defineCounterScripts } from '../src/counter/counter.script';
import { closeRedis, createRedis, waitReady } from '../src/infra/redis/redis.factory';

/**
 * With auto-pipelining, a Lua command defined after a pipeline was opened is missing from it, and
 * ioredis then throws an uncaught TypeError and leaves the pipeline's callers hanging
 * (redis/ioredis#1931). The counter's cancel script used to be defined lazily, on the first
 * cancellation during a Redis outage: that crashed the app.
 */
describe('counter scripts on an auto-pipelining client', () => {
  let server: RedisProcess;
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('runs both scripts in the same tick as other commands, with no uncaught error', async () => {
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    const redis = createRedis(server.url, 1000);
    try {
      await waitReady(redis, 2000);
      const scripts = defineCounterScripts(redis); // what CounterService does when it is built
      await redis.set('c', '5');
      const settled = await Promise.race([
        Promise.allSettled([
          redis.get('c'), // opens the auto-pipeline
          cancelIncrement(scripts, { valueKey: 'c', recordKey: 'c:rec', by: 1, ttlMs: 60_000 }),
          apply(scripts, { op: 'inc', by: 2, valueKey: 'c', limit: 1e9 }),
          redis.get('c'),
        ]),
        new Promise<'hung'>((r) => setTimeout(() => r('hung'), 3000).unref()),
      ]);
      expect(settled).not.toBe('hung');
      expect((settled as PromiseSettledResult<unknown>[]).map((s) => s.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ]);
      expect((settled as PromiseFulfilledResult<unknown>[]).map((s) => s.value)).toEqual([
        '5',
        0,
        { code: expect.anything(), value: 7 },
        '7',
      ]);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', onUncaught);
      await closeRedis(redis);
    }
  });
});
