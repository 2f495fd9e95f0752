import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { LightMyRequestResponse } from 'fastify';
import { auth, bootApp } from './support/app';
import { msUntil, sleep, startLoad, summary } from './support/load';
import { startProxiedRedis, type ProxiedRedis } from './support/redis-proxy';
import type { TcpProxy } from './support/tcp-proxy';
import { uniqueQueue } from './support/tasks';

jest.setTimeout(90_000);

/** REDIS_COMMAND_TIMEOUT_MS (the default, 1 s): every bound below is a multiple of it. */
const COMMAND_MS = 1000;
/**
 * The documented worst case of a task route while Redis hangs or stalls (docs/reliability.md):
 * the rate limiter (one command, bounded from the call, 1 × REDIS_COMMAND_TIMEOUT_MS) + the
 * route's Redis work under one deadline from the call (3 ×), plus 0.5 s of scheduling slack on a
 * 2-core machine, as in test/redis-outage.
 */
const BOUND_MS = 4 * COMMAND_MS + 500;
/** A request still unanswered after this is reported as hung (instead of timing the suite out). */
const HUNG_MS = 20_000;
/** Requests in flight per route while Redis is cut. */
const PER_ROUTE = 4;

type Res = LightMyRequestResponse;

/**
 * Redis that accepts and never answers (hang), or passes each command and answers half a reply
 * (stall), behind a TCP proxy of this suite's own. Every task route a client or an HTTP worker
 * uses answers a 503 in the common shape within BOUND_MS, several requests per route at once while
 * submissions keep coming; after the proxy resumes the routes serve again, and every submission
 * answered 202 before or during the cut is readable. A submission answered 503 is reconciled by
 * replaying it with its client id (docs/tasks.md): 202 if it never reached Redis, 200 (the same
 * task, not a second one) if it did.
 */
describe.each(['hang', 'stall'] as const)('task routes while Redis %ss', (mode) => {
  let redis: ProxiedRedis;
  let proxy: TcpProxy;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    redis = await startProxiedRedis();
    proxy = redis.proxy;
    app = await bootApp({
      APP_ROLE: 'api',
      REDIS_URL: redis.url,
      INGEST_ENABLED: 'false',
      TASKS_QUEUE_NAME: uniqueQueue(`hang-${mode}`),
      TASKS_EXTERNAL_TYPES: 'ext.*',
    });
  });
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });

  /** The answer within HUNG_MS, or undefined (hung); with the time it took. */
  const timed = async (fn: () => Promise<Res>) => {
    const t0 = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const res: Res | undefined = await Promise.race([
      fn(),
      new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), HUNG_MS))),
    ]).finally(() => clearTimeout(timer));
    return { res, ms: Math.round(performance.now() - t0) };
  };

  it('every task route answers 503 within the bound, and serves again after; nothing accepted is lost', async () => {
    const tag = `${mode}-${Date.now().toString(36)}`;
    // Before the cut: tasks the routes below act on, and one leased external task.
    const ids = {
      read: `${tag}-read`,
      retry: `${tag}-retry`,
      compat: `${tag}-compat`,
      ext: `${tag}-ext`,
    };
    const before = await Promise.all([
      call('POST', '/v1/tasks', { type: 'echo', id: ids.read, payload: { n: -1 } }),
      call('POST', '/v1/tasks', { type: 'echo', id: ids.retry, payload: { n: -2 } }),
      call('POST', '/tasks', { task_id: ids.compat, data: { n: -3 } }),
      call('POST', '/v1/tasks', { type: 'ext.a', id: ids.ext, payload: { n: -4 } }),
    ]);
    expect(before.map((r) => r.statusCode)).toEqual([202, 202, 200, 202]);
    const lease = await call('POST', '/v1/tasks/lease', { types: ['ext.a'], leaseSeconds: 60 });
    expect(lease.statusCode).toBe(200);
    const { leaseToken } = lease.json().items[0] as { leaseToken: string };

    // Submissions with client ids all along: the ones answered 202 must be readable after.
    let n = 0;
    const load = startLoad(
      8,
      async () => {
        const body = { type: 'echo', id: `${tag}-load-${n}`, payload: { n: n++ } };
        return { res: await call('POST', '/v1/tasks', body), sent: body };
      },
      50,
    );
    await sleep(500);

    // Each route PER_ROUTE times at once, every route at once. Under `stall` the commands reach
    // Redis and apply, so the writes target tasks the checks after the cut do not need.
    const routes: Record<string, (i: number) => Promise<Res>> = {
      'POST /v1/tasks': (i) => call('POST', '/v1/tasks', { type: 'echo', payload: { anon: i } }),
      'POST /v1/tasks (client id)': (i) =>
        call('POST', '/v1/tasks', { type: 'echo', id: `${tag}-cut-${i}`, payload: { i } }),
      'POST /v1/tasks (external type)': (i) =>
        call('POST', '/v1/tasks', { type: 'ext.b', id: `${tag}-cutx-${i}`, payload: { i } }),
      'POST /v1/tasks/batch': (i) =>
        call('POST', '/v1/tasks/batch', {
          tasks: [
            { type: 'echo', id: `${tag}-batch-${i}-a`, payload: {} },
            { type: 'echo', payload: { anon: i } },
          ],
        }),
      'GET /v1/tasks/:id': () => call('GET', `/v1/tasks/${ids.read}`),
      'GET /v1/tasks': () => call('GET', '/v1/tasks?limit=5'),
      'GET /v1/tasks?type=ext.a': () => call('GET', '/v1/tasks?type=ext.a'),
      'DELETE /v1/tasks/:id': (i) => call('DELETE', `/v1/tasks/${tag}-gone-${i}`),
      'POST /v1/tasks/:id/retry': () => call('POST', `/v1/tasks/${ids.retry}/retry`),
      'GET /v1/tasks/:id/events': () => call('GET', `/v1/tasks/${ids.read}/events`),
      'POST /tasks (compat)': (i) =>
        call('POST', '/tasks', { task_id: `${tag}-ccut-${i}`, data: {} }),
      'GET /tasks (compat)': () => call('GET', '/tasks'),
      'GET /tasks/:task_id (compat)': () => call('GET', `/tasks/${ids.compat}`),
      'DELETE /tasks/:task_id (compat)': (i) => call('DELETE', `/tasks/${tag}-cgone-${i}`),
      'POST /v1/tasks/lease': () => call('POST', '/v1/tasks/lease', { types: ['ext.a', 'ext.b'] }),
      'POST /v1/tasks/lease (waiting)': () =>
        call('POST', '/v1/tasks/lease', { types: ['ext.c'], waitSeconds: 1 }),
      'POST /v1/tasks/:id/heartbeat': () =>
        call('POST', `/v1/tasks/${ids.ext}/heartbeat`, { leaseToken, progress: 10 }),
      'POST /v1/tasks/:id/complete': (i) =>
        call('POST', `/v1/tasks/${tag}-nolease-${i}/complete`, { leaseToken }),
      'POST /v1/tasks/:id/fail': (i) =>
        call('POST', `/v1/tasks/${tag}-nolease-${i}/fail`, { leaseToken, error: 'x' }),
      'POST /v1/tasks/complete': (i) =>
        call('POST', '/v1/tasks/complete', {
          items: [{ id: `${tag}-nolease-${i}`, leaseToken }],
        }),
      'POST /v1/schedules': (i) =>
        call('POST', '/v1/schedules', {
          name: `${tag}-sched-${i}`,
          everyMs: 60_000,
          task: { type: 'echo', payload: { i } },
        }),
      'DELETE /v1/schedules/:name': (i) => call('DELETE', `/v1/schedules/${tag}-nosched-${i}`),
      'GET /v1/schedules': () => call('GET', '/v1/schedules'),
      'GET /v1/schedules/:name': () => call('GET', `/v1/schedules/${tag}-none`),
    };
    proxy.cut(mode);
    let timings: Array<{ route: string; ms: number; status: number | 'hung'; body: string }>;
    try {
      await sleep(300); // the load's requests now wait on the cut connection too
      timings = await Promise.all(
        Object.entries(routes).flatMap(([route, fn]) =>
          Array.from({ length: PER_ROUTE }, async (_, i) => {
            const { res, ms } = await timed(() => fn(i));
            return !res
              ? { route, ms, status: 'hung' as const, body: '' }
              : { route, ms, status: res.statusCode, body: res.body };
          }),
        ),
      );
      await sleep(2000);
    } finally {
      proxy.resume();
    }
    const slowest = Object.keys(routes).map((route) => {
      const mine = timings.filter((t) => t.route === route);
      return {
        route,
        statuses: [...new Set(mine.map((t) => t.status))].join(','),
        slowestMs: Math.max(...mine.map((t) => t.ms)),
      };
    });
    console.log(`Redis ${mode}s: slowest answer per route (${PER_ROUTE} at once each)\n`, slowest);

    // Every answer a 503 in the common shape, within the bound.
    expect(timings.filter((t) => t.status !== 503 || t.ms > BOUND_MS)).toEqual([]);
    for (const body of new Set(timings.map((t) => t.body)))
      expect(JSON.parse(body)).toMatchObject({
        statusCode: 503,
        code: 'DEPENDENCY_UNAVAILABLE',
        message: expect.stringMatching(/Redis is unavailable/),
        requestId: expect.any(String),
      });

    // Serves again once the proxy passes traffic: a fresh task is queued and read back.
    const fresh = { type: 'echo', id: `${tag}-after`, payload: { after: true } };
    const backMs = await msUntil(
      async () => (await call('POST', '/v1/tasks', fresh)).statusCode < 300,
      8000,
      100,
    );
    const answers = await load.stop();
    console.log(`Redis ${mode}s: load`, summary(answers), `served again after ${backMs} ms`);
    expect(await call('GET', `/v1/tasks/${fresh.id}`)).toMatchObject({ statusCode: 200 });
    expect((await call('GET', `/v1/tasks/${fresh.id}`)).json()).toMatchObject({
      id: fresh.id,
      payload: fresh.payload,
    });

    // The load: only 202s and 503s, none slower than the bound.
    expect(
      answers.filter((a) => (a.status !== 202 && a.status !== 503) || a.ms > BOUND_MS),
    ).toEqual([]);
    expect(answers.filter((a) => a.status === 503).length).toBeGreaterThan(0);
    // Nothing answered 202 is lost; the tasks written before the cut are all there.
    const accepted = answers.filter((a) => a.status === 202);
    expect(accepted.length).toBeGreaterThan(0);
    const reads = await Promise.all(
      [...accepted.map((a) => (a.sent as { id: string }).id), ids.read, ids.retry, ids.ext].map(
        async (id) => ({ id, status: (await call('GET', `/v1/tasks/${id}`)).statusCode }),
      ),
    );
    expect(reads.filter((r) => r.status !== 200)).toEqual([]);
    expect((await call('GET', `/tasks/${ids.compat}`)).statusCode).toBe(200);
    // Every 503 is reconciled by a replay with its client id: created now (202) or already there
    // (200, the same task): never a second one.
    const replays = await Promise.all(
      answers
        .filter((a) => a.status === 503)
        .map(async (a) => {
          const sent = a.sent as { id: string };
          const res = await call('POST', '/v1/tasks', sent);
          return {
            id: sent.id,
            status: res.statusCode,
            ...(res.statusCode >= 300 ? { body: res.body } : {}),
          };
        }),
    );
    console.log(
      `Redis ${mode}s: of ${replays.length} submissions answered 503, ` +
        `${replays.filter((r) => r.status === 200).length} had been stored (replay: 200)`,
    );
    expect(replays.filter((r) => r.status !== 200 && r.status !== 202)).toEqual([]);

    // A task without a client id answered 503 is taken back, even if its write reached Redis (as
    // under `stall`): the client never saw its id, and retrying the 503 would queue it twice.
    const anonymous = async () => {
      let left = 0;
      let cursor: string | null = null;
      do {
        const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
        const page = (await call('GET', `/v1/tasks?type=echo&limit=100${q}`)).json() as {
          items: Array<{ payload: { anon?: number } | null }>;
          nextCursor: string | null;
        };
        left += page.items.filter((t) => t.payload?.anon !== undefined).length;
        cursor = page.nextCursor;
      } while (cursor);
      return left;
    };
    await msUntil(async () => (await anonymous()) === 0, 15_000, 250).catch(async (e) => {
      throw new Error(
        `${await anonymous()} tasks answered 503 without a client id are stored: ${e}`,
      );
    });
    // A batch answered 503 is completed by its replay: its item with a client id is stored once
    // (whether its write had reached Redis or not), the item without one is queued afresh.
    const batches = await Promise.all(
      Array.from({ length: PER_ROUTE }, (_, i) => routes['POST /v1/tasks/batch'](i)),
    );
    expect(batches.filter((r) => r.statusCode >= 300).map((r) => r.body)).toEqual([]);
    for (const [i, res] of batches.entries()) {
      const [named, fresh] = res.json().items as Array<{ task: { id: string; payload: unknown } }>;
      expect(named.task.id).toBe(`${tag}-batch-${i}-a`);
      expect(fresh.task.payload).toEqual({ anon: i });
    }
    expect(await anonymous()).toBe(PER_ROUTE);
  });
});
