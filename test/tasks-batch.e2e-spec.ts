import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import { getTask, status, submit, submitBatch, uniqueQueue, waitTask } from './support/tasks';

jest.setTimeout(20_000);

type Item = {
  created: boolean;
  task: { id: string; type: string; status: string; payload: unknown };
};

describe('tasks: batch submission (real Redis, in-process worker)', () => {
  let app: NestFastifyApplication;
  const queue = uniqueQueue('batch');
  const run = Date.now().toString(36); // client ids unique to this run
  beforeAll(async () => {
    app = await bootApp({
      TASKS_QUEUE_NAME: queue,
      TASKS_CONCURRENCY: '4',
      INGEST_ENABLED: 'false',
    });
  });
  afterAll(() => app.close());

  const submittedEcho = async () => {
    const body = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    return Number(/^tasks_submitted_total\{type="echo"\} (\d+)/m.exec(body)?.[1] ?? 0);
  };
  const exists = async (id: string) =>
    (await app.inject({ method: 'GET', url: `/v1/tasks/${id}`, headers: auth })).statusCode !== 404;
  const fieldsOf = (res: { json(): unknown }) =>
    (res.json() as { errors: { field: string }[] }).errors.map((e) => e.field);

  it('queues 100 echo tasks in one request: 202, items in request order, all complete with their payloads', async () => {
    const before = await submittedEcho();
    const tasks = Array.from({ length: 100 }, (_, i) => ({ type: 'echo', payload: { i } }));
    const res = await submitBatch(app, { tasks });
    expect(res.statusCode).toBe(202);
    expect(res.headers.location).toBeUndefined();
    const items: Item[] = res.json().items;
    expect(items.map((it) => (it.task.payload as { i: number }).i)).toEqual(
      tasks.map((t) => t.payload.i),
    );
    expect(
      items.every(
        (it) => it.created && it.task.type === 'echo' && /^[0-9a-f-]{36}$/.test(it.task.id),
      ),
    ).toBe(true);
    expect(new Set(items.map((it) => it.task.id)).size).toBe(100);
    for (const [i, it] of items.entries()) {
      const done = await waitTask(app, it.task.id, status('completed'));
      expect(done.result).toEqual({ i });
    }
    expect((await submittedEcho()) - before).toBe(100);
  });

  it('takes mixed types and options in one batch', async () => {
    const name = `batch-${run}`;
    const res = await submitBatch(app, {
      tasks: [
        { type: 'sleep', payload: { ms: 20 }, priority: 1 },
        { type: 'counter.increment', payload: { name, by: 2 }, maxAttempts: 1 },
        { type: 'echo', payload: 'later', delayMs: 60_000 },
        { type: 'echo' },
      ],
    });
    expect(res.statusCode).toBe(202);
    const items: Item[] = res.json().items;
    expect(items.map((it) => it.task.type)).toEqual(['sleep', 'counter.increment', 'echo', 'echo']);
    expect(items[0].task).toMatchObject({ priority: 1, payload: { ms: 20 } });
    expect(items[1].task).toMatchObject({ maxAttempts: 1, payload: { name, by: 2 } });
    expect(items[2].task.status).toBe('delayed');
    expect(items[3].task.payload).toBeNull();
    expect(
      ((await waitTask(app, items[0].task.id, status('completed'))).result as { sleptMs: number })
        .sleptMs,
    ).toBeGreaterThanOrEqual(20);
    await waitTask(app, items[1].task.id, status('completed'));
    const counter = await app.inject({ method: 'GET', url: `/v1/counters/${name}`, headers: auth });
    expect(counter.json()).toMatchObject({ value: 2 });
    expect((await getTask(app, items[2].task.id)).status).toBe('delayed');
  });

  it('replays idempotently: the same batch again is 200, all created=false, same ids', async () => {
    const tasks = ['a', 'b', 'c'].map((k) => ({
      type: 'echo',
      id: `replay-${k}-${run}`,
      payload: { k },
    }));
    const first = await submitBatch(app, { tasks });
    expect(first.statusCode).toBe(202);
    expect(first.json().items.map((it: Item) => [it.created, it.task.id])).toEqual(
      tasks.map((t) => [true, t.id]),
    );
    const before = await submittedEcho();
    const again = await submitBatch(app, { tasks });
    expect(again.statusCode).toBe(200);
    expect(again.json().items.map((it: Item) => [it.created, it.task.id, it.task.payload])).toEqual(
      tasks.map((t) => [false, t.id, t.payload]),
    );
    // Part replay: existing slots answer the existing task, the new one is created.
    const fresh = { type: 'echo', id: `replay-d-${run}`, payload: { k: 'd' } };
    const mixed = await submitBatch(app, { tasks: [tasks[1], fresh] });
    expect(mixed.statusCode).toBe(202);
    expect(mixed.json().items.map((it: Item) => [it.created, it.task.id])).toEqual([
      [false, tasks[1].id],
      [true, fresh.id],
    ]);
    expect((await submittedEcho()) - before).toBe(1);
  });

  it('one id already used with a different body: 409 naming it, and nothing of the batch is queued', async () => {
    const taken = `taken-${run}`;
    expect((await submit(app, { type: 'echo', id: taken, payload: { v: 1 } })).statusCode).toBe(
      202,
    );
    const others = [0, 1, 2].map((n) => ({
      type: 'echo',
      id: `bystander-${n}-${run}`,
      payload: n,
    }));
    const res = await submitBatch(app, {
      tasks: [
        others[0],
        { type: 'echo', id: taken, payload: { v: 2 } },
        others[1],
        { type: 'echo' },
        others[2],
      ],
    });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      statusCode: 409,
      ids: [taken],
      message: expect.stringContaining(taken),
    });
    expect(res.json().message).toMatch(/nothing was queued/);
    for (const o of others) expect(await exists(o.id)).toBe(false);
    expect((await getTask(app, taken)).payload).toEqual({ v: 1 });
  });

  it('two concurrent batches racing for one id: one body wins, and the 409 says truly what was queued', async () => {
    for (let round = 0; round < 5; round++) {
      const id = `race-${round}-${run}`;
      const batch = (side: string) => ({
        tasks: [
          { type: 'echo', id, payload: side },
          { type: 'echo', id: `${id}-${side}`, payload: side },
        ],
      });
      const [a, b] = await Promise.all([
        submitBatch(app, batch('a')),
        submitBatch(app, batch('b')),
      ]);
      const [won, lost, side] = a.statusCode === 202 ? [a, b, 'b'] : [b, a, 'a'];
      expect(won.statusCode).toBe(202);
      expect(lost.statusCode).toBe(409);
      expect(lost.json().ids).toEqual([id]);
      expect((await getTask(app, id)).payload).toBe(side === 'a' ? 'b' : 'a');
      // Caught at the look-up: nothing of the losing batch exists; caught only after the insert: the rest was queued.
      const restQueued = /the other tasks of this batch were queued/.test(lost.json().message);
      expect(restQueued || /nothing was queued/.test(lost.json().message)).toBe(true);
      expect(await exists(`${id}-${side}`)).toBe(restQueued);
    }
  });

  it.each<[string, string, unknown, RegExp]>([
    ['an empty list', 'tasks', { tasks: [] }, /at least 1/],
    [
      '101 items',
      'tasks',
      { tasks: Array.from({ length: 101 }, () => ({ type: 'echo' })) },
      /at most 100/,
    ],
    ['tasks not an array', 'tasks', { tasks: { type: 'echo' } }, /array/],
    ['no tasks', 'tasks', {}, /array/],
    ['an item not an object', 'tasks.1', { tasks: [{ type: 'echo' }, 'echo'] }, /object/],
    ['an item without type', 'tasks.0.type', { tasks: [{ payload: 1 }] }, /string/],
    [
      'a bad option',
      'tasks.1.priority',
      { tasks: [{ type: 'echo' }, { type: 'echo', priority: 11 }] },
      /10/,
    ],
    [
      'an unknown item field',
      'tasks.0.bogus',
      { tasks: [{ type: 'echo', bogus: 1 }] },
      /should not exist/,
    ],
    [
      'a bad payload in item 3',
      'tasks.3.payload.ms',
      {
        tasks: [
          { type: 'echo' },
          { type: 'echo' },
          { type: 'sleep', payload: { ms: 1 } },
          { type: 'sleep', payload: { ms: -5 } },
        ],
      },
      /0/,
    ],
    [
      'a payload that is not an object',
      'tasks.0.payload',
      { tasks: [{ type: 'sleep', payload: 'zzz' }] },
      /object/,
    ],
    [
      'a client id twice',
      'tasks.1.id',
      {
        tasks: [
          { type: 'echo', id: `twice-${run}` },
          { type: 'echo', id: `twice-${run}` },
        ],
      },
      /tasks\.0/,
    ],
    [
      'an unknown field beside tasks',
      'extra',
      { tasks: [{ type: 'echo' }], extra: true },
      /should not exist/,
    ],
  ])('%s → 400 naming %s', async (_, field, body, message) => {
    const res = await submitBatch(app, body);
    expect(res.statusCode).toBe(400);
    const err = res.json().errors.find((e: { field: string }) => e.field === field);
    expect(err).toBeDefined();
    expect(err.messages.join(' ')).toMatch(message);
  });

  it('unknown type in item 2 → 400 naming tasks.2.type, listing the known types, and nothing is queued', async () => {
    const ids = [0, 1, 3].map((n) => `before-bad-${n}-${run}`);
    const res = await submitBatch(app, {
      tasks: [
        { type: 'echo', id: ids[0] },
        { type: 'echo', id: ids[1] },
        { type: 'nope' },
        { type: 'echo', id: ids[2] },
      ],
    });
    expect(res.statusCode).toBe(400);
    expect(fieldsOf(res)).toEqual(['tasks.2.type']);
    expect(res.json().message).toMatch(
      /tasks\.2\.type \(type must be one of: .*counter\.increment.*echo.*sleep/,
    );
    for (const id of ids) expect(await exists(id)).toBe(false);
  });

  it('names every bad item at once: shapes first, then types and payloads', async () => {
    const shapes = await submitBatch(app, {
      tasks: [{ type: 'nope', priority: 0 }, { type: 'echo' }, 7, { type: 5 }],
    });
    expect(fieldsOf(shapes).sort()).toEqual(['tasks.0.priority', 'tasks.2', 'tasks.3.type']);
    const semantics = await submitBatch(app, {
      tasks: [{ type: 'nope' }, { type: 'echo' }, { type: 'sleep', payload: {} }],
    });
    expect(fieldsOf(semantics).sort()).toEqual(['tasks.0.type', 'tasks.2.payload.ms']);
  });

  it('documents the route with its body and answers', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    const op = doc.paths['/v1/tasks/batch'].post;
    expect(op.description).toMatch(/All or nothing/);
    expect(Object.keys(op.responses)).toEqual(
      expect.arrayContaining(['200', '202', '400', '401', '409', '503']),
    );
    const body =
      doc.components.schemas[
        op.requestBody.content['application/json'].schema.$ref.split('/').pop()
      ];
    expect(body.properties.tasks).toMatchObject({ type: 'array', minItems: 1, maxItems: 100 });
  });
});
