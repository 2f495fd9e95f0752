import { request as httpRequest, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ExternalQueues } from '../src/tasks/external/external-queues';
import { TaskEventsHub } from '../src/tasks/events/task-events.hub';
import { auth, bootApp, OTHER_KEY } from './support/app';
import type { Cluster, Redis } from 'ioredis';
import {
  REDIS_MODES,
  redisClient,
  redisEnv,
  untilRedisReady,
  type RedisMode,
} from './support/redis-modes';
import { submit, uniqueQueue } from './support/tasks';

jest.setTimeout(120_000);

interface SseEvent {
  id?: string;
  event: string;
  data: Record<string, unknown>;
}

/** A real HTTP client of one event stream: its own socket, frames parsed as they arrive. */
class Sse {
  readonly events: SseEvent[] = [];
  comments = 0;
  status?: number;
  headers: Record<string, unknown> = {};
  body = '';
  ended = false;
  private readonly req: ClientRequest;
  private readonly opened: Promise<void>;

  constructor(base: string, id: string, headers: Record<string, string> = {}) {
    let buffer = '';
    this.req = httpRequest(`${base}/v1/tasks/${id}/events`, {
      headers: { ...auth, accept: 'text/event-stream', ...headers },
      agent: false,
    });
    this.opened = new Promise((resolve, reject) => {
      this.req.on('error', (e) => (this.ended ? resolve() : reject(e)));
      this.req.on('response', (res) => {
        this.status = res.statusCode;
        this.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          this.body += chunk;
          buffer += chunk;
          let end;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            this.parse(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        });
        res.on('end', () => (this.ended = true));
        res.on('close', () => (this.ended = true));
        resolve();
      });
    });
    this.req.end();
  }

  private parse(block: string): void {
    const e: Partial<SseEvent> & { data?: unknown } = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) this.comments++;
      else if (line.startsWith('id: ')) e.id = line.slice(4);
      else if (line.startsWith('event: ')) e.event = line.slice(7);
      else if (line.startsWith('data: ')) e.data = JSON.parse(line.slice(6));
    }
    if (e.event) this.events.push(e as SseEvent);
  }

  async response(): Promise<this> {
    await this.opened;
    return this;
  }

  get names(): string[] {
    return this.events.map((e) => e.event);
  }

  async until(pred: (s: Sse) => boolean, what: string, ms = 15_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred(this)) {
      if (Date.now() > deadline)
        throw new Error(`${what}: not after ${ms} ms; saw ${JSON.stringify(this.events)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): void {
    this.ended = true;
    this.req.destroy();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Connections blocked in (or last running) XREAD on every node: QueueEvents is the only XREAD
 * client of this service, so this is the number of event subscriptions Redis holds.
 */
async function xreadConnections(client: Redis): Promise<number> {
  if (client.status !== 'ready') await new Promise((r) => client.once('ready', r));
  const nodes = client.isCluster ? (client as unknown as Cluster).nodes('all') : [client];
  const lists = await Promise.all(nodes.map((n) => n.client('LIST') as Promise<string>));
  return lists.flatMap((l) => l.split('\n')).filter((line) => / cmd=xread( |$)/.test(line)).length;
}

describe.each(REDIS_MODES)('task events (SSE, real Redis, %s)', (mode: RedisMode) => {
  let app: NestFastifyApplication;
  let base: string;
  let redis: Redis;

  beforeAll(async () => {
    redis = redisClient(mode);
    app = await bootApp({
      ...redisEnv(mode),
      APP_ROLE: 'all',
      INGEST_ENABLED: 'false',
      TASKS_QUEUE_NAME: uniqueQueue('events'),
      TASKS_EXTERNAL_TYPES: 'ev.*',
      TASKS_EVENTS_MAX_STREAMS_PER_KEY: '250',
      TASKS_EVENTS_KEEPALIVE_MS: '1000',
    });
    await untilRedisReady(app);
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  let closed = false;
  afterAll(async () => {
    if (!closed) await app.close();
    redis.disconnect();
  });

  const post = (url: string, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url, headers: auth, payload });
  const leaseOne = async (type: string) => {
    const res = await post('/v1/tasks/lease', { types: [type], leaseSeconds: 60 });
    expect(res.statusCode).toBe(200);
    const [item] = res.json().items as { task: { id: string }; leaseToken: string }[];
    return item;
  };

  it('an external task: state (queued) → active → progress → completed, in order, then the stream closes', async () => {
    const id = `ev-order-${mode}`;
    expect((await submit(app, { type: 'ev.order', payload: { n: 1 }, id })).statusCode).toBe(202);
    const sse = await new Sse(base, id).response();
    expect(sse.status).toBe(200);
    expect(sse.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(sse.headers['x-request-id']).toBeTruthy();
    await sse.until((s) => s.events.length === 1, 'state');
    expect(sse.events[0]).toMatchObject({
      event: 'state',
      data: { id, status: 'queued', type: 'ev.order', payload: { n: 1 } },
    });

    const item = await leaseOne('ev.order');
    await sse.until((s) => s.names.includes('active'), 'active');
    const hb = await post(`/v1/tasks/${id}/heartbeat`, {
      leaseToken: item.leaseToken,
      progress: 40,
    });
    expect(hb.statusCode).toBe(200);
    await sse.until((s) => s.names.includes('progress'), 'progress');
    const done = await post(`/v1/tasks/${id}/complete`, {
      leaseToken: item.leaseToken,
      result: { pages: 3 },
    });
    expect(done.statusCode).toBe(200);
    await sse.until((s) => s.ended, 'the stream closes after completed');
    expect(sse.names).toEqual(['state', 'active', 'progress', 'completed']);
    expect(sse.events[1].data).toEqual({ id, status: 'active' });
    expect(sse.events[2].data).toEqual({ id, progress: 40 });
    expect(sse.events[3].data).toEqual({ id, status: 'completed', result: { pages: 3 } });
    // ids are the events stream's, strictly increasing
    const ids = sse.events.map((e) => e.id as string);
    for (const x of ids) expect(x).toMatch(/^\d+-\d+$/);
    const asNum = (x: string) => x.split('-').map(BigInt);
    for (let i = 1; i < ids.length; i++) {
      const [a, b] = [asNum(ids[i - 1]), asNum(ids[i])];
      expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
    }
  });

  it('a built-in task run by the worker: delayed → queued → active → progress → completed', async () => {
    const res = await submit(app, { type: 'sleep', payload: { ms: 1500 }, delayMs: 1500 });
    expect(res.statusCode).toBe(202);
    const id = res.json().id as string;
    const sse = await new Sse(base, id).response();
    await sse.until((s) => s.ended, 'completed', 20_000);
    expect(sse.events[0]).toMatchObject({ event: 'state', data: { id, status: 'delayed' } });
    expect(sse.names.slice(1)).toEqual(['queued', 'active', 'progress', 'completed']);
    expect(sse.events[4].data).toMatchObject({
      status: 'completed',
      result: { sleptMs: expect.any(Number) },
    });
    expect(sse.comments).toBeGreaterThanOrEqual(1); // keep-alives every second while it ran
  });

  it('a finished task: one state event, then the stream closes', async () => {
    const res = await submit(app, { type: 'echo', payload: { x: 1 } });
    const id = res.json().id as string;
    const deadline = Date.now() + 10_000;
    while (
      (await app.inject({ method: 'GET', url: `/v1/tasks/${id}`, headers: auth })).json().status !==
      'completed'
    )
      if (Date.now() > deadline) throw new Error('echo did not complete');
      else await sleep(50);
    const sse = await new Sse(base, id).response();
    await sse.until((s) => s.ended, 'closed');
    expect(sse.events).toHaveLength(1);
    expect(sse.events[0].data).toMatchObject({ id, status: 'completed', result: { x: 1 } });
  });

  it('reconnecting with Last-Event-ID misses nothing, and sends nothing twice', async () => {
    const id = `ev-resume-${mode}`;
    await submit(app, { type: 'ev.resume', payload: {}, id });
    const first = await new Sse(base, id).response();
    const item = await leaseOne('ev.resume');
    await first.until((s) => s.names.includes('active'), 'active');
    first.close();
    const lastSeen = first.events.at(-1)!.id!;
    // while nobody listens: three progress reports
    for (const progress of [10, 20, 30]) {
      const hb = await post(`/v1/tasks/${id}/heartbeat`, { leaseToken: item.leaseToken, progress });
      expect(hb.statusCode).toBe(200);
    }
    const again = await new Sse(base, id, { 'last-event-id': lastSeen }).response();
    expect(again.status).toBe(200);
    await again.until((s) => s.events.length === 3, 'the missed progress events');
    expect(again.events.map((e) => e.data.progress)).toEqual([10, 20, 30]);
    expect(again.names).toEqual(['progress', 'progress', 'progress']); // no state, no repeat of active
    await post(`/v1/tasks/${id}/heartbeat`, { leaseToken: item.leaseToken, progress: 90 });
    await post(`/v1/tasks/${id}/complete`, { leaseToken: item.leaseToken, result: 'ok' });
    await again.until((s) => s.ended, 'closed after completed');
    expect(again.names).toEqual(['progress', 'progress', 'progress', 'progress', 'completed']);
    expect(again.events[3].data.progress).toBe(90);

    // after the end, a reconnect from the first event replays the whole life of the task
    const replay = await new Sse(base, id, { 'last-event-id': first.events[0].id! }).response();
    await replay.until((s) => s.ended, 'replay closes');
    expect(replay.names).toEqual([
      'active',
      'progress',
      'progress',
      'progress',
      'progress',
      'completed',
    ]);
    expect(replay.events.at(-1)!.data).toEqual({ id, status: 'completed', result: 'ok' });
    expect(replay.events.map((e) => e.id)).toEqual([
      ...first.events.slice(1).map((e) => e.id),
      ...again.events.map((e) => e.id),
    ]);
  });

  it('200 concurrent streams share one Redis subscription (one QueueEvents, no new connection)', async () => {
    const type = 'ev.many';
    const ids = Array.from({ length: 20 }, (_, i) => `ev-many-${mode}-${i}`);
    for (const id of ids)
      expect((await submit(app, { type, payload: {}, id })).statusCode).toBe(202);
    const queue = app.get(ExternalQueues).queue(type);
    const hub = app.get(TaskEventsHub);
    // the first stream of this queue creates its subscription
    const warm = await new Sse(base, ids[0]).response();
    await warm.until((s) => s.events.length === 1, 'state');
    const subsBefore = hub.subscriptions;
    // one per queue that has had a stream, no more (the newest may still be connecting)
    let xreadBefore = await xreadConnections(redis);
    for (let i = 0; i < 100 && xreadBefore !== subsBefore; i++) {
      await sleep(50);
      xreadBefore = await xreadConnections(redis);
    }
    expect(xreadBefore).toBe(subsBefore);
    // BullMQ names the connection (CLIENT SETNAME) on a single node only: standalone mode
    if (mode === 'standalone') expect(await queue.getQueueEvents()).toHaveLength(1);

    const streams = await Promise.all(
      Array.from({ length: 200 }, (_, i) => new Sse(base, ids[i % ids.length]).response()),
    );
    await Promise.all(streams.map((s) => s.until((x) => x.events.length === 1, 'state', 30_000)));
    expect(streams.every((s) => s.status === 200)).toBe(true);
    // No new subscription: the same XREAD connections in Redis's CLIENT LIST, the same QueueEvents.
    expect(await xreadConnections(redis)).toBe(xreadBefore);
    expect(hub.subscriptions).toBe(subsBefore);
    if (mode === 'standalone') expect(await queue.getQueueEvents()).toHaveLength(1);

    // every stream sees its task finish
    for (const _ of ids) {
      const item = await leaseOne(type);
      expect(
        (
          await post(`/v1/tasks/${item.task.id}/complete`, {
            leaseToken: item.leaseToken,
            result: 1,
          })
        ).statusCode,
      ).toBe(200);
    }
    await Promise.all(streams.map((s) => s.until((x) => x.ended, 'closed', 30_000)));
    for (const s of streams) expect(s.names.slice(-1)).toEqual(['completed']);
    warm.close();
  });

  it('404 for an unknown task, 400 for a bad id or Last-Event-ID, 401 without a key', async () => {
    const unknown = await app.inject({
      method: 'GET',
      url: '/v1/tasks/no-such-task/events',
      headers: auth,
    });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ statusCode: 404, code: 'NOT_FOUND' });
    const badId = await app.inject({
      method: 'GET',
      url: '/v1/tasks/bad%20id!/events',
      headers: auth,
    });
    expect(badId.statusCode).toBe(400);
    expect(badId.json().errors[0].field).toBe('id');
    const id = `ev-bad-${mode}`;
    await submit(app, { type: 'ev.bad', payload: {}, id });
    const badLast = await app.inject({
      method: 'GET',
      url: `/v1/tasks/${id}/events`,
      headers: { ...auth, 'last-event-id': 'yesterday' },
    });
    expect(badLast.statusCode).toBe(400);
    expect(badLast.json().errors).toEqual([
      { field: 'Last-Event-ID', messages: [expect.stringContaining('event id')] },
    ]);
    const anonymous = await app.inject({ method: 'GET', url: `/v1/tasks/${id}/events` });
    expect(anonymous.statusCode).toBe(401);
  });

  // Last in this block: it closes the app. A Cluster given to BullMQ is not closed by BullMQ, and
  // the external workers' ones were never closed: each kept refreshing its slot map every second
  // (Jest did not exit after this suite).
  it('closing the app closes every Redis Cluster client its external workers made', async () => {
    const clusters = (app.get(ExternalQueues) as unknown as { clusters: Cluster[] }).clusters;
    if (mode === 'cluster') expect(clusters.length).toBeGreaterThan(0);
    else expect(clusters).toEqual([]);
    closed = true;
    await app.close();
    // Disconnected ('close' or 'end'), and no slot-map refresh left to run (ioredis's timer).
    expect(clusters.filter((c) => c.status !== 'close' && c.status !== 'end')).toEqual([]);
    expect(
      clusters.map((c) => (c as unknown as { slotsTimer: unknown }).slotsTimer ?? null),
    ).toEqual(clusters.map(() => null));
  });
});

describe('task events: the per-key cap', () => {
  let app: NestFastifyApplication;
  let base: string;
  beforeAll(async () => {
    app = await bootApp({
      APP_ROLE: 'api',
      INGEST_ENABLED: 'false',
      TASKS_QUEUE_NAME: uniqueQueue('events-cap'),
      TASKS_EXTERNAL_TYPES: 'cap.*',
      TASKS_EVENTS_MAX_STREAMS_PER_KEY: '2',
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  it('a third stream of one key is 429 TASK_STREAMS_LIMIT; closing one frees its slot; other keys are not counted', async () => {
    await submit(app, { type: 'cap.a', payload: {}, id: 'cap-1' });
    const a = await new Sse(base, 'cap-1').response();
    const b = await new Sse(base, 'cap-1').response();
    await a.until((s) => s.events.length === 1, 'a');
    await b.until((s) => s.events.length === 1, 'b');
    const c = await new Sse(base, 'cap-1').response();
    await c.until((s) => s.ended, 'c refused');
    expect(c.status).toBe(429);
    expect(c.headers['retry-after']).toBe('5');
    expect(JSON.parse(c.body)).toMatchObject({
      statusCode: 429,
      code: 'TASK_STREAMS_LIMIT',
      limit: 2,
      requestId: expect.any(String),
    });
    const otherKey = await new Sse(base, 'cap-1', { 'x-api-key': OTHER_KEY }).response();
    await otherKey.until((s) => s.events.length === 1, 'another key has its own slots');
    a.close();
    const deadline = Date.now() + 5000;
    let d: Sse;
    for (;;) {
      d = await new Sse(base, 'cap-1').response();
      if (d.status === 200 || Date.now() > deadline) break;
      await sleep(50);
    }
    expect(d.status).toBe(200);
    for (const s of [b, d, otherKey]) s.close();
  });
});
