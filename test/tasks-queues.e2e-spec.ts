import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Cluster, Redis } from 'ioredis';
import { TaskQueues } from '../src/tasks/task-queues';
import { auth, bootApp } from './support/app';
import {
  allKeys,
  REDIS_MODES,
  redisClient,
  redisEnv,
  untilRedisReady,
} from './support/redis-modes';
import { status, submit, submitBatch, uniqueQueue, waitTask } from './support/tasks';

jest.setTimeout(30_000);

/**
 * TASKS_QUEUE_SHARDS=3: built-in types routed over three queues (tasks.e2e-spec runs its main
 * cases with 3 queues too); here what only several queues can get wrong: where each task lands,
 * lookups and listing across queues, idempotency and batches spanning queues, and in cluster mode
 * the queues on different primaries.
 */
describe.each(REDIS_MODES)('task queues (TASKS_QUEUE_SHARDS=3, %s)', (mode) => {
  let app: NestFastifyApplication;
  let redis: Redis;
  let queues: TaskQueues;
  const queue = uniqueQueue('shards');

  /** The queue (BullMQ name) holding task `id`, read from Redis: the job hash `<prefix>:<queue>:<id>`. */
  async function queueOf(id: string): Promise<string[]> {
    const keys = await allKeys(redis, `*${queue}*:${id}`);
    return keys.map(
      (k) =>
        k
          .slice(0, -id.length - 1)
          .split(':')
          .pop() as string,
    );
  }

  beforeAll(async () => {
    app = await bootApp({
      ...redisEnv(mode),
      TASKS_QUEUE_NAME: queue,
      TASKS_QUEUE_SHARDS: '3',
      TASKS_CONCURRENCY: '4',
      TASKS_BACKOFF_MS: '50',
      INGEST_ENABLED: 'false',
    });
    await untilRedisReady(app);
    redis = redisClient(mode);
    queues = app.get(TaskQueues);
  });
  afterAll(async () => {
    redis?.disconnect();
    await app?.close();
  });

  it('routes each built-in type to one of three queues, the first one keeping its name', async () => {
    await queues.whenOpen(10_000); // opened right after boot (no request has used them yet)
    expect(queues.all.map((q) => q.name)).toEqual([queue, `${queue}-q1`, `${queue}-q2`]);
    const routing = queues.routing;
    // Sorted types dealt round-robin: whatever else is registered, echo and sleep are apart.
    expect(new Set(Object.values(routing))).toEqual(new Set(queues.all.map((q) => q.name)));
    expect(routing.echo).not.toBe(routing.sleep);
  });

  it('stores each task in its type’s queue; every route finds it there', async () => {
    const ids: Record<string, string> = {};
    for (const [type, payload] of [
      ['echo', { a: 1 }],
      ['sleep', { ms: 0 }],
      ['counter.increment', { name: `shards-${Date.now()}`, by: 1 }],
    ] as const) {
      const res = await submit(app, { type, payload, id: `shard-${type}-${Date.now()}` });
      expect(res.statusCode).toBe(202);
      ids[type] = res.json().id;
      expect(await queueOf(ids[type])).toEqual([queues.routing[type]]);
    }
    for (const id of Object.values(ids)) await waitTask(app, id, status('completed'));
    // DELETE finds a finished task in a queue other than the first.
    const echoId = ids.echo;
    const del = await app.inject({ method: 'DELETE', url: `/v1/tasks/${echoId}`, headers: auth });
    expect(del.statusCode).toBe(200);
    expect(await queueOf(echoId)).toEqual([]);
  });

  it('retries a failed task in its own queue', async () => {
    const sleeper = (
      await submit(app, { type: 'sleep', payload: { ms: 0, failRuns: 1 }, maxAttempts: 1 })
    ).json();
    await waitTask(app, sleeper.id, status('failed'));
    const retry = await app.inject({
      method: 'POST',
      url: `/v1/tasks/${sleeper.id}/retry`,
      headers: auth,
    });
    expect(retry.statusCode).toBe(202);
    await waitTask(app, sleeper.id, status('completed'));
    expect(await queueOf(sleeper.id)).toEqual([queues.routing.sleep]);
  });

  it('a client id is one task across queues: the same id with another type is 409', async () => {
    const id = `shard-idem-${Date.now()}`;
    expect((await submit(app, { type: 'echo', payload: 1, id, delayMs: 60_000 })).statusCode).toBe(
      202,
    );
    expect((await submit(app, { type: 'echo', payload: 1, id, delayMs: 60_000 })).statusCode).toBe(
      200,
    );
    const other = await submit(app, { type: 'sleep', payload: { ms: 0 }, id });
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('TASK_CONFLICT');
    expect(await queueOf(id)).toEqual([queues.routing.echo]);
  });

  it('concurrent submissions of one id with different types leave one task', async () => {
    const id = `shard-race-${Date.now()}`;
    const [a, b] = await Promise.all([
      submit(app, { type: 'echo', payload: 1, id, delayMs: 60_000 }),
      submit(app, { type: 'sleep', payload: { ms: 0 }, id, delayMs: 60_000 }),
    ]);
    // Either the second saw the first, or both were added and the copy in the later queue went.
    expect([a.statusCode, b.statusCode].sort()).toEqual([202, 409]);
    const winner = a.statusCode === 202 ? 'echo' : 'sleep';
    expect(await queueOf(id)).toEqual([queues.routing[winner]]);
  });

  it('lists tasks of every queue in one order, page by page, none twice', async () => {
    const tag = Date.now();
    const mine: string[] = [];
    for (let i = 0; i < 6; i++) {
      const type = i % 2 ? 'echo' : 'sleep';
      const res = await submit(app, {
        type,
        payload: type === 'echo' ? i : { ms: 0 },
        id: `shard-list-${tag}-${i}`,
        delayMs: 600_000 + i * 1000, // due in this order
      });
      expect(res.statusCode).toBe(202);
      mine.push(res.json().id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/tasks?status=delayed&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await app.inject({ method: 'GET', url, headers: auth })).json();
      seen.push(...page.items.map((t: { id: string }) => t.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.filter((id) => mine.includes(id))).toEqual(mine);
  });

  it('a batch spanning the queues: each item in its queue; a conflict queues nothing', async () => {
    const tag = Date.now();
    const items = [
      { type: 'echo', payload: 1, id: `shard-batch-${tag}-e` },
      { type: 'sleep', payload: { ms: 0 }, id: `shard-batch-${tag}-s` },
      { type: 'echo', payload: 2 },
    ];
    const res = await submitBatch(app, { tasks: items });
    expect(res.statusCode).toBe(202);
    const created = res.json().items.map((i: { task: { id: string } }) => i.task.id);
    expect(await queueOf(created[0])).toEqual([queues.routing.echo]);
    expect(await queueOf(created[1])).toEqual([queues.routing.sleep]);
    for (const id of created) await waitTask(app, id, status('completed'));
    const replay = await submitBatch(app, { tasks: items.slice(0, 2) });
    expect(replay.statusCode).toBe(200);

    const clash = await submitBatch(app, {
      tasks: [
        { type: 'sleep', payload: { ms: 0 }, id: `shard-batch-${tag}-new` },
        { type: 'echo', payload: 99, id: `shard-batch-${tag}-e` }, // another body
      ],
    });
    expect(clash.statusCode).toBe(409);
    expect(clash.json().ids).toEqual([`shard-batch-${tag}-e`]);
    expect(await queueOf(`shard-batch-${tag}-new`)).toEqual([]);
  });

  if (mode === 'cluster')
    it('puts the three queues on three different primaries', async () => {
      const cluster = redis as unknown as Cluster;
      const owners = await Promise.all(
        queues.all.map(async (q) => {
          const slot = await redis.call('CLUSTER', 'KEYSLOT', q.keys.id);
          const slots = (await redis.call('CLUSTER', 'SLOTS')) as Array<
            [number, number, [string, number]]
          >;
          const range = slots.find(([lo, hi]) => Number(slot) >= lo && Number(slot) <= hi);
          return range ? `${range[2][0]}:${range[2][1]}` : 'none';
        }),
      );
      expect(cluster.nodes('master').length).toBe(3);
      expect(new Set(owners).size).toBe(3);
      expect(owners).not.toContain('none');
    });
});
