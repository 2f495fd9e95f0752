import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import { status, submit, uniqueQueue, waitTask } from './support/tasks';

jest.setTimeout(30_000);

/** API-only apps (no worker) hold tasks still; a worker app is booted only when the test wants one. */
describe('tasks: pagination and priority', () => {
  const env = { APP_ROLE: 'api', INGEST_ENABLED: 'false' };

  it('pages over 250 tasks with no duplicate and no gap, with and without filters', async () => {
    const app = await bootApp({ ...env, TASKS_QUEUE_NAME: uniqueQueue('pages') });
    try {
      const ids = new Set<string>();
      for (let i = 0; i < 250; i += 25) {
        const batch = await Promise.all(
          Array.from({ length: 25 }, (_, j) =>
            submit(app, {
              type: i + j < 200 ? 'echo' : 'sleep',
              payload: i + j < 200 ? { n: i + j } : { ms: 1 },
              priority: ((i + j) % 10) + 1,
              delayMs: i + j >= 240 ? 60_000 : undefined,
            }),
          ),
        );
        for (const r of batch) {
          expect(r.json()).toMatchObject({ id: expect.any(String) });
          ids.add(r.json().id);
        }
      }
      expect(ids.size).toBe(250);

      const walk = async (query: string, limit: number) => {
        const seen: Array<{ id: string; status: string; type: string; priority: number }> = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const res: {
            statusCode: number;
            json(): { items: typeof seen; nextCursor: string | null };
          } = await app.inject({
            method: 'GET',
            url: `/v1/tasks?limit=${limit}${query}${cursor ? `&cursor=${cursor}` : ''}`,
            headers: auth,
          });
          expect(res.statusCode).toBe(200);
          const body: { items: typeof seen; nextCursor: string | null } = res.json();
          expect(body.items.length).toBeLessThanOrEqual(limit);
          seen.push(...body.items);
          cursor = body.nextCursor;
          pages++;
        } while (cursor && pages < 100);
        return seen;
      };

      const all = await walk('', 100);
      expect(all.map((t) => t.id).sort()).toEqual([...ids].sort());
      expect(all.filter((t) => t.status === 'delayed')).toHaveLength(10);
      // queued ones come by priority: 1 (highest) first
      const queued = all.filter((t) => t.status === 'queued');
      expect(queued.map((t) => t.priority)).toEqual(
        [...queued.map((t) => t.priority)].sort((a, b) => a - b),
      );

      const small = await walk('&status=queued', 7);
      expect(new Set(small.map((t) => t.id)).size).toBe(240);
      expect(small).toHaveLength(240);
      const sleeps = await walk('&type=sleep', 100);
      expect(sleeps.map((t) => t.type)).toEqual(Array(50).fill('sleep'));
      expect(await walk('&type=sleep&status=delayed', 3)).toHaveLength(10);

      // a cursor of one status filter is refused under another
      const first = (
        await app.inject({ method: 'GET', url: '/v1/tasks?limit=1&status=queued', headers: auth })
      ).json();
      const mixed = await app.inject({
        method: 'GET',
        url: `/v1/tasks?status=completed&cursor=${first.nextCursor}`,
        headers: auth,
      });
      expect(mixed.statusCode).toBe(400);
      expect(mixed.json().errors[0].field).toBe('cursor');
    } finally {
      await app.close();
    }
  });

  it('runs a high-priority task before lower ones submitted earlier (concurrency 1)', async () => {
    const queue = uniqueQueue('prio');
    const api = await bootApp({ ...env, TASKS_QUEUE_NAME: queue });
    let worker: NestFastifyApplication | undefined;
    try {
      const low = [];
      for (let i = 0; i < 3; i++)
        low.push(
          (await submit(api, { type: 'sleep', payload: { ms: 20 }, priority: 10 })).json().id,
        );
      const mid = (await submit(api, { type: 'sleep', payload: { ms: 20 } })).json().id;
      const high = (await submit(api, { type: 'sleep', payload: { ms: 20 }, priority: 1 })).json()
        .id;
      worker = await bootApp({
        APP_ROLE: 'worker',
        INGEST_ENABLED: 'false',
        TASKS_QUEUE_NAME: queue,
        TASKS_CONCURRENCY: '1',
      });
      const started = async (id: string) =>
        Date.parse((await waitTask(api, id, status('completed'))).startedAt as string);
      const order = await Promise.all([high, mid, ...low].map(started));
      expect(order).toEqual([...order].sort((a, b) => a - b));
      expect(order[0]).toBeLessThan(order[1]);
      expect(order[1]).toBeLessThan(order[2]);
    } finally {
      await worker?.close();
      await api.close();
    }
  });
});
