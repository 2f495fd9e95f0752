import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CounterService } from '../src/counter';
import { auth, bootApp } from './support/app';
import { sleep, startLoad } from './support/load';
import { startProxiedRedis, type ProxiedRedis } from './support/redis-proxy';
import type { TcpProxy } from './support/tcp-proxy';

jest.setTimeout(40_000);

/**
 * Redis that receives every command and stalls its answers (half a reply, then nothing; a TCP
 * proxy of this suite's own), under 32 increments in flight: the increments reach Redis and
 * apply, their callers get 503. A 503 must mean "not applied": once Redis answers again every such
 * increment is undone (UnansweredIncrements), so the counter ends equal to the number of 200s.
 * fault-counter read the counter right after the load and saw it too high by exactly the
 * increments still waiting for their cancel (docs/counter.md); this waits for them (10 s at most)
 * and holds the end state. Redis with its append-only file, as in fault-counter.
 */
describe('fault under load: counter while Redis stalls its answers', () => {
  let redis: ProxiedRedis;
  let proxy: TcpProxy;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    redis = await startProxiedRedis({ dataDir: mkdtempSync(join(tmpdir(), 'stall-')) });
    proxy = redis.proxy;
    app = await bootApp({ REDIS_URL: redis.url, INGEST_ENABLED: 'false' });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  it.each([1, 2])(
    'round %i: every increment answered 503 is undone once Redis answers',
    async (round) => {
      const name = `stall-${round}-${Date.now()}`;
      const load = startLoad(32, async () => ({
        res: await app.inject({
          method: 'POST',
          url: `/v1/counters/${name}/increment`,
          headers: auth,
        }),
      }));
      await sleep(500);
      proxy.cut('stall');
      await sleep(5000);
      proxy.resume();
      await sleep(1500);
      const answers = await load.stop();
      const ok = answers.filter((a) => a.status === 200).length;
      const unavailable = answers.filter((a) => a.status === 503).length;
      expect(answers.filter((a) => a.status !== 200 && a.status !== 503)).toEqual([]);
      expect(unavailable).toBeGreaterThan(0);
      const counters = app.get(CounterService);
      const deadline = Date.now() + 10_000;
      while (counters.unreconciled > 0 && Date.now() < deadline) await sleep(100);
      const read = await app.inject({ method: 'GET', url: `/v1/counters/${name}`, headers: auth });
      const { value } = read.json();
      expect({ value, unreconciled: counters.unreconciled }).toEqual({
        value: ok,
        unreconciled: 0,
      });
    },
  );
});
