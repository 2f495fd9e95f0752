import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startRedis, type RedisProcess } from '../scripts/stack/index.ts';
import { auth, bootApp } from './support/app';
import { waitFor } from './support/ingest';
import { msUntil, sleep, startLoad, summary } from './support/load';
import { uniqueQueue } from './support/tasks';

jest.setTimeout(40_000);

/**
 * Fault under load: task submissions (16 in flight) while this suite's own Redis is stopped for
 * 5 s and started again with its data. Nothing waits more than 2 s, every failure is a 503, and
 * every task answered 202 is eventually completed by the in-process worker: none is lost.
 */
describe('fault under load: task submission while Redis restarts', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fault-tasks-'));
  let redis: RedisProcess;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    redis = await startRedis(undefined, { dataDir });
    app = await bootApp({
      APP_ROLE: 'all',
      REDIS_URL: redis.url,
      TASKS_QUEUE_NAME: uniqueQueue('fault'),
      INGEST_ENABLED: 'false',
      TASKS_CONCURRENCY: '20',
      // A job whose completion could not be written during the outage is picked up again soon.
      TASKS_LOCK_DURATION_MS: '2000',
      TASKS_STALLED_INTERVAL_MS: '500',
    });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  let n = 0;
  const submit = async () => {
    const payload = { n: n++ };
    const res = await app.inject({
      method: 'POST',
      url: '/v1/tasks',
      headers: auth,
      payload: { type: 'echo', payload },
    });
    return { res, sent: payload };
  };
  const ready = async () =>
    (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200;
  const statusOf = async (id: string) =>
    (await app.inject({ method: 'GET', url: `/v1/tasks/${id}`, headers: auth })).json() as {
      status: string;
      result?: unknown;
    };

  it('no request waits over 2 s, failures are 503s, every accepted task completes', async () => {
    const load = startLoad(16, submit);
    await sleep(1000);
    await redis.stop();
    await sleep(5000);
    await redis.start();
    const readyAfterMs = await msUntil(ready, 5000);
    await sleep(1000);
    const answers = await load.stop();

    const stats = summary(answers);
    const accepted = answers.filter((a) => a.status === 202);
    const failed = answers.filter((a) => a.status !== 202);
    expect({ ...stats, slow: answers.filter((a) => a.ms > 2000).length }).toMatchObject({
      slow: 0,
    });
    expect(failed.filter((a) => a.status !== 503)).toEqual([]);
    for (const body of new Set(failed.map((a) => a.body))) {
      expect(JSON.parse(body)).toMatchObject({
        statusCode: 503,
        error: 'Service Unavailable',
        message: expect.stringMatching(/Redis is unavailable/),
        requestId: expect.any(String),
      });
    }
    expect(accepted.length).toBeGreaterThan(50);
    expect(failed.length).toBeGreaterThan(10);
    expect(answers.at(-1)?.status).toBe(202);
    expect(readyAfterMs).toBeLessThanOrEqual(5000);

    // Every accepted task ends completed with its own payload echoed back.
    const ids = accepted.map((a) => ({ id: JSON.parse(a.body).id as string, sent: a.sent }));
    const notDone = async () => {
      const left: unknown[] = [];
      for (let i = 0; i < ids.length; i += 100) {
        const states = await Promise.all(ids.slice(i, i + 100).map((t) => statusOf(t.id)));
        states.forEach(
          (s, j) => s.status !== 'completed' && left.push({ ...ids[i + j], status: s.status }),
        );
      }
      return left;
    };
    await waitFor(
      'every accepted task completed',
      async () => (await notDone()).length === 0 || false,
      15_000,
      250,
    ).catch(async () => expect(await notDone()).toEqual([]));
    const sample = ids[ids.length >> 1];
    expect((await statusOf(sample.id)).result).toEqual(sample.sent);
  });
});
