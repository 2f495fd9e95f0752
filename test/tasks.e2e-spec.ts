import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp, TEST_KEY } from './support/app';
import { REDIS_MODES, redisEnv, untilRedisReady } from './support/redis-modes';
import { getTask, status, submit, uniqueQueue, waitTask } from './support/tasks';

jest.setTimeout(20_000);

/** Both Redis modes, with one queue (as before) and with built-in types spread over 3 (TASKS_QUEUE_SHARDS). */
const CASES = REDIS_MODES.flatMap((mode) => [1, 3].map((shards) => [mode, shards] as const));

describe.each(CASES)('tasks (real Redis, %s, %i queue(s), in-process worker)', (mode, shards) => {
  let app: NestFastifyApplication;
  const queue = uniqueQueue('main');
  beforeAll(async () => {
    app = await bootApp({
      ...redisEnv(mode),
      TASKS_QUEUE_NAME: queue,
      TASKS_QUEUE_SHARDS: String(shards),
      TASKS_CONCURRENCY: '4',
      TASKS_BACKOFF_MS: '50',
      INGEST_ENABLED: 'false',
    });
    await untilRedisReady(app);
  });
  afterAll(() => app.close());

  const basic = (password: string) => ({
    authorization: `Basic ${Buffer.from(`ops:${password}`).toString('base64')}`,
  });

  it('runs an echo task: 202, Location, then completed with its payload as result', async () => {
    const res = await submit(app, { type: 'echo', payload: { hello: 'world', n: [1, 2] } });
    expect(res.statusCode).toBe(202);
    const task = res.json();
    expect(task).toMatchObject({
      type: 'echo',
      priority: 5,
      maxAttempts: 3,
      attempts: 0,
      error: null,
      result: null,
    });
    expect(task.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(['queued', 'active', 'completed']).toContain(task.status);
    expect(res.headers.location).toBe(`/v1/tasks/${task.id}`);
    const done = await waitTask(app, task.id, status('completed'));
    expect(done).toMatchObject({
      result: { hello: 'world', n: [1, 2] },
      attempts: 1,
      payload: { hello: 'world', n: [1, 2] },
    });
    expect(Date.parse(done.finishedAt as string)).toBeGreaterThanOrEqual(
      Date.parse(done.startedAt as string),
    );
  });

  it('runs a sleep task for at least its ms', async () => {
    const { id } = (await submit(app, { type: 'sleep', payload: { ms: 120 } })).json();
    const done = await waitTask(app, id, status('completed'));
    expect((done.result as { sleptMs: number }).sleptMs).toBeGreaterThanOrEqual(120);
  });

  it('runs counter.increment through the counter service, once per task', async () => {
    const name = `tasks-e2e-${Date.now()}`;
    const { id } = (
      await submit(app, { type: 'counter.increment', payload: { name, by: 5 } })
    ).json();
    const doneTask = await waitTask(app, id, status('completed'));
    expect(doneTask.result).toEqual({ name, value: 5 });
    const read = await app.inject({ method: 'GET', url: `/v1/counters/${name}`, headers: auth });
    expect(read.json()).toMatchObject({ name, value: 5 });
    const bad = await submit(app, {
      type: 'counter.increment',
      payload: { name: 'Bad Name', by: 1.5 },
    });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['payload.by', 'payload.name']);
  });

  it('holds a delayed task until its time', async () => {
    const res = await submit(app, { type: 'echo', payload: 1, delayMs: 400 });
    expect(res.json().status).toBe('delayed');
    const done = await waitTask(app, res.json().id, status('completed'));
    expect(
      Date.parse(done.startedAt as string) - Date.parse(done.createdAt as string),
    ).toBeGreaterThanOrEqual(400);
  });

  it('retries with backoff, and keeps the last error after the final failure', async () => {
    const flaky = (
      await submit(app, { type: 'sleep', payload: { ms: 0, failRuns: 1 }, maxAttempts: 2 })
    ).json();
    const broken = (
      await submit(app, {
        type: 'sleep',
        payload: { ms: 0, failRuns: 9, error: 'boom' },
        maxAttempts: 3,
      })
    ).json();
    expect((await waitTask(app, flaky.id, status('completed'))).attempts).toBe(2);
    const failed = await waitTask(app, broken.id, status('failed'));
    expect(failed).toMatchObject({ attempts: 3, maxAttempts: 3, error: 'boom', result: null });
  });

  it('retry route: a failed task runs again; anything else is 409, unknown 404', async () => {
    const { id } = (
      await submit(app, { type: 'sleep', payload: { ms: 0, failRuns: 1 }, maxAttempts: 1 })
    ).json();
    await waitTask(app, id, status('failed'));
    const retry = await app.inject({ method: 'POST', url: `/v1/tasks/${id}/retry`, headers: auth });
    expect(retry.statusCode).toBe(202);
    expect(['queued', 'active', 'completed']).toContain(retry.json().status);
    await waitTask(app, id, status('completed'));
    const again = await app.inject({ method: 'POST', url: `/v1/tasks/${id}/retry`, headers: auth });
    expect(again.statusCode).toBe(409);
    expect(again.json().message).toMatch(/only a failed task/);
    expect(
      (await app.inject({ method: 'POST', url: '/v1/tasks/nope-x/retry', headers: auth }))
        .statusCode,
    ).toBe(404);
  });

  it('delete rules: delayed and finished tasks go, an active one is 409', async () => {
    const later = (await submit(app, { type: 'echo', payload: 1, delayMs: 60_000 })).json();
    const del = await app.inject({ method: 'DELETE', url: `/v1/tasks/${later.id}`, headers: auth });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toMatchObject({ id: later.id, status: 'delayed' });
    expect(
      (await app.inject({ method: 'GET', url: `/v1/tasks/${later.id}`, headers: auth })).statusCode,
    ).toBe(404);

    const busy = (await submit(app, { type: 'sleep', payload: { ms: 700 } })).json();
    await waitTask(app, busy.id, status('active'));
    const refused = await app.inject({
      method: 'DELETE',
      url: `/v1/tasks/${busy.id}`,
      headers: auth,
    });
    expect(refused.statusCode).toBe(409);
    await waitTask(app, busy.id, status('completed'));
    expect(
      (await app.inject({ method: 'DELETE', url: `/v1/tasks/${busy.id}`, headers: auth }))
        .statusCode,
    ).toBe(200);
    expect(
      (await app.inject({ method: 'DELETE', url: `/v1/tasks/${busy.id}`, headers: auth }))
        .statusCode,
    ).toBe(404);
  });

  it('client ids make submission idempotent; a different body is 409', async () => {
    const body = { type: 'echo', id: 'idem-1', payload: { a: 1 }, priority: 2 };
    const first = await submit(app, body);
    expect(first.statusCode).toBe(202);
    const second = await submit(app, body);
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({
      id: 'idem-1',
      type: 'echo',
      payload: { a: 1 },
      priority: 2,
    });
    expect(second.headers.location).toBe('/v1/tasks/idem-1');
    const conflict = await submit(app, { ...body, payload: { a: 2 } });
    expect(conflict.statusCode).toBe(409);
    expect((await submit(app, { ...body, priority: 3 })).statusCode).toBe(409);
    expect((await getTask(app, 'idem-1')).payload).toEqual({ a: 1 });
  });

  it.each([
    [{ type: 'nope', payload: {} }, 'type', /echo, .*sleep/],
    [{ type: 'sleep', payload: { ms: 'x' } }, 'payload.ms', /integer/],
    [{ type: 'sleep', payload: { ms: 10, extra: 1 } }, 'payload.extra', /should not exist/],
    [{ type: 'sleep', payload: 'zzz' }, 'payload', /object/],
    [{ type: 'echo', priority: 11 }, 'priority', /10/],
    [{ type: 'echo', priority: 0 }, 'priority', /1/],
    [{ type: 'echo', id: '12345' }, 'id', /not all digits/],
    [{ type: 'echo', id: 'a:b' }, 'id', /A-Za-z0-9/],
    [{ type: 'echo', delayMs: -1 }, 'delayMs', /0/],
    [{ type: 'echo', maxAttempts: 0 }, 'maxAttempts', /1/],
    [{ type: 'echo', bogus: true }, 'bogus', /should not exist/],
    [{ payload: {} }, 'type', /string/],
  ])('POST /v1/tasks %j → 400 naming %s', async (body, field, message) => {
    const res = await submit(app, body);
    expect(res.statusCode).toBe(400);
    const err = res.json().errors.find((e: { field: string }) => e.field === field);
    expect(err).toBeDefined();
    expect(err.messages.join(' ')).toMatch(message);
  });

  it.each([
    ['GET', '/v1/tasks?limit=0', 'limit'],
    ['GET', '/v1/tasks?limit=101', 'limit'],
    ['GET', '/v1/tasks?status=bogus', 'status'],
    ['GET', '/v1/tasks?cursor=not*valid', 'cursor'],
    ['GET', `/v1/tasks?cursor=${Buffer.from('[99,0,"x"]').toString('base64url')}`, 'cursor'],
    ['GET', '/v1/tasks/123', 'id'],
    ['DELETE', '/v1/tasks/123', 'id'],
    ['POST', '/v1/tasks/123/retry', 'id'],
  ])('%s %s → 400 naming %s', async (method, url, field) => {
    const res = await app.inject({ method: method as 'GET', url, headers: auth });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('lists the registered types', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/tasks/types', headers: auth });
    expect(res.json().types).toEqual(
      expect.arrayContaining(['counter.increment', 'echo', 'sleep']),
    );
  });

  it('exports task metrics, queue depth read at scrape time', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.body).toMatch(/tasks_submitted_total\{type="echo"\} [1-9]/);
    expect(res.body).toMatch(
      /task_duration_seconds_bucket\{le="[^"]+",type="sleep",result="failed"\} [1-9]/,
    );
    expect(res.body).toMatch(/tasks_queue_jobs\{state="completed"\} [1-9]/);
    expect(res.body).toMatch(/tasks_queue_jobs\{state="queued"\} \d/);
  });

  it('serves the queue UI behind basic auth (password = an API key)', async () => {
    const none = await app.inject({ method: 'GET', url: '/admin/queues' });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic /);
    // The common error shape, like every other route.
    expect(none.json()).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      code: 'UNAUTHORIZED',
      message: expect.stringMatching(/^Queue UI: sign in/),
      requestId: none.headers['x-request-id'],
    });
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/admin/queues/api/queues',
          headers: basic('wrong-wrong-wrong-wrong'),
        })
      ).statusCode,
    ).toBe(401);
    expect(
      (await app.inject({ method: 'GET', url: '/admin/queues/api/queues', headers: auth }))
        .statusCode,
    ).toBe(401);
    const page = await app.inject({
      method: 'GET',
      url: '/admin/queues',
      headers: basic(TEST_KEY),
    });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/html/);
    const api = await app.inject({
      method: 'GET',
      url: '/admin/queues/api/queues',
      headers: basic(TEST_KEY),
    });
    expect(api.statusCode).toBe(200);
    expect(JSON.stringify(api.json())).toContain(queue);
  });

  it('documents the routes, priority direction and deprecated compat routes', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    expect(doc.paths['/v1/tasks'].post.description).toMatch(/Priority 1 is the highest/);
    for (const p of ['/v1/tasks/{id}', '/v1/tasks/{id}/retry']) expect(doc.paths[p]).toBeDefined();
    expect(doc.paths['/tasks'].post.deprecated).toBe(true);
    expect(doc.paths['/tasks/{task_id}'].delete.deprecated).toBe(true);
  });

  describe('compat: ephemeral-backend /tasks', () => {
    it('creates, reads, lists and deletes with the seed shapes; a duplicate is 409', async () => {
      const created = await app.inject({
        method: 'POST',
        url: '/tasks',
        headers: auth,
        payload: { task_id: '123', data: { message: 'Hello World' }, priority: 1 },
      });
      expect(created.statusCode).toBe(200);
      expect(created.json()).toEqual({
        task_id: '123',
        status: 'accepted',
        message: 'Task created successfully',
        result: null,
      });
      const dup = await app.inject({
        method: 'POST',
        url: '/tasks',
        headers: auth,
        payload: { task_id: '123', data: {} },
      });
      expect(dup.statusCode).toBe(409);
      expect(dup.json()).toEqual({ detail: 'Task already exists' });

      const deadline = Date.now() + 10_000;
      let body: {
        task_id: string;
        status: string;
        result: { processed_at: string; message: string } | null;
      };
      do {
        body = (await app.inject({ method: 'GET', url: '/tasks/123', headers: auth })).json();
      } while (
        body.status !== 'completed' &&
        Date.now() < deadline &&
        (await new Promise((r) => setTimeout(r, 50)), true)
      );
      expect(body).toEqual({
        task_id: '123',
        status: 'completed',
        result: { processed_at: expect.any(String), message: 'Task 123 processed successfully' },
      });

      const list = (await app.inject({ method: 'GET', url: '/tasks', headers: auth })).json();
      expect(list.count).toBe(list.tasks.length);
      expect(list.tasks).toContainEqual(body);
      expect(list.tasks.every((t: { task_id: string }) => !t.task_id.startsWith('eb-'))).toBe(true);

      const del = await app.inject({ method: 'DELETE', url: '/tasks/123', headers: auth });
      expect(del.statusCode).toBe(200);
      expect(del.json()).toEqual({ message: 'Task 123 deleted successfully' });
      const gone = await app.inject({ method: 'GET', url: '/tasks/123', headers: auth });
      expect(gone.statusCode).toBe(404);
      expect(gone.json()).toEqual({ detail: 'Task not found' });
      expect(
        (await app.inject({ method: 'DELETE', url: '/tasks/123', headers: auth })).json(),
      ).toEqual({ detail: 'Task not found' });
    });

    it('hides v1 tasks from the compat routes, and names bad fields', async () => {
      const { id } = (await submit(app, { type: 'echo', id: 'eb-v1only' })).json();
      expect(id).toBe('eb-v1only');
      expect(
        (await app.inject({ method: 'GET', url: '/tasks/v1only', headers: auth })).statusCode,
      ).toBe(404);
      const bad = await app.inject({
        method: 'POST',
        url: '/tasks',
        headers: auth,
        payload: { task_id: 'a b', data: 'x' },
      });
      expect(bad.statusCode).toBe(400);
      expect(
        bad
          .json()
          .errors.map((e: { field: string }) => e.field)
          .sort(),
      ).toEqual(['data', 'task_id']);
      expect(
        (await app.inject({ method: 'GET', url: '/tasks/a%20b', headers: auth })).json().errors[0]
          .field,
      ).toBe('task_id');
    });
  });
});

describe('tasks with QUEUE_UI_ENABLED=false', () => {
  it('does not serve /admin/queues', async () => {
    const app = await bootApp({
      APP_ROLE: 'api',
      QUEUE_UI_ENABLED: 'false',
      TASKS_QUEUE_NAME: uniqueQueue('noui'),
      INGEST_ENABLED: 'false',
    });
    try {
      const res = await app.inject({
        method: 'GET',
        url: '/admin/queues',
        headers: {
          ...auth,
          authorization: `Basic ${Buffer.from(`x:${TEST_KEY}`).toString('base64')}`,
        },
      });
      expect(res.statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });
});
