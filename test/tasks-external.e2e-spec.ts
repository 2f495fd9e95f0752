import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp, TEST_KEY } from './support/app';
import { getTask, submit, submitBatch, uniqueQueue, waitTask } from './support/tasks';

jest.setTimeout(120_000);

/** External types over HTTP workers. API-only apps: the built-in worker must never take these. */
describe('tasks: external types and HTTP workers', () => {
  let app: NestFastifyApplication;
  let base: string;
  const queueName = uniqueQueue('ext');

  beforeAll(async () => {
    app = await bootApp({
      APP_ROLE: 'all', // a built-in worker runs too, and must leave external tasks alone
      INGEST_ENABLED: 'false',
      TASKS_QUEUE_NAME: queueName,
      TASKS_EXTERNAL_TYPES: 'ext.*, reports.pdf',
      TASKS_STALLED_INTERVAL_MS: '500',
      TASKS_BACKOFF_MS: '100',
    });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(() => app.close());

  const post = (url: string, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url, headers: auth, payload });
  const lease = (body: Record<string, unknown>) => post('/v1/tasks/lease', body);
  type Item = { task: { id: string; type: string; priority: number }; leaseToken: string };
  const items = async (body: Record<string, unknown>): Promise<Item[]> => {
    const res = await lease(body);
    expect(res.statusCode).toBe(200);
    return res.json().items;
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('lists external types, validates leases, and leases, heartbeats and completes with the token only', async () => {
    const types = (
      await app.inject({ method: 'GET', url: '/v1/tasks/types', headers: auth })
    ).json().types;
    expect(types).toEqual(expect.arrayContaining(['echo', 'ext.*', 'reports.pdf']));

    const bad = await lease({ types: ['echo', 'ext.a'], max: 0, waitSeconds: 21, leaseSeconds: 4 });
    expect(bad.statusCode).toBe(400);
    expect(
      bad
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['leaseSeconds', 'max', 'waitSeconds']);
    const notExternal = await lease({ types: ['ext.a', 'echo'] });
    expect(notExternal.statusCode).toBe(400);
    expect(notExternal.json().errors).toEqual([
      { field: 'types.1', messages: [expect.stringContaining('not an external task type')] },
    ]);
    expect((await lease({ types: [] })).json().errors[0].field).toBe('types');
    expect((await lease({ types: ['bad type'] })).json().errors[0].field).toBe('types');
    expect((await submit(app, { type: 'ext', payload: 1 })).statusCode).toBe(400); // `ext.*` needs a suffix

    const created = await submit(app, { type: 'ext.basic', payload: { n: 1 }, id: 'ext-basic-1' });
    expect(created.statusCode).toBe(202);
    await sleep(300); // the built-in worker (role all) is running: it must not take it
    expect((await getTask(app, 'ext-basic-1')).status).toBe('queued');

    const [item] = await items({ types: ['ext.basic'], max: 5, leaseSeconds: 30 });
    expect(item.task).toMatchObject({
      id: 'ext-basic-1',
      type: 'ext.basic',
      status: 'active',
      payload: { n: 1 },
    });
    expect(await items({ types: ['ext.basic'] })).toEqual([]); // leased: nobody else gets it
    const wrong = item.leaseToken.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
    const extra: Record<string, Record<string, unknown>> = {
      heartbeat: { progress: 10 },
      complete: { result: 1 },
      fail: { error: 'x' },
    };
    for (const path of ['heartbeat', 'complete', 'fail']) {
      const res = await post(`/v1/tasks/ext-basic-1/${path}`, {
        leaseToken: wrong,
        ...extra[path],
      });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('TASK_LEASE_LOST');
    }
    expect((await getTask(app, 'ext-basic-1')).status).toBe('active'); // nothing changed
    expect(
      (await post('/v1/tasks/ext-basic-1/complete', { leaseToken: '0' })).json().errors[0].field,
    ).toBe('leaseToken');
    const hb = await post('/v1/tasks/ext-basic-1/heartbeat', {
      leaseToken: item.leaseToken,
      progress: 40,
      message: 'halfway',
    });
    expect(hb.statusCode).toBe(200);
    expect(Date.parse(hb.json().leaseExpiresAt)).toBeGreaterThan(Date.now() + 25_000);
    expect((await getTask(app, 'ext-basic-1')).progress).toBe(40);
    expect(
      (
        await post('/v1/tasks/ext-basic-1/heartbeat', {
          leaseToken: item.leaseToken,
          progress: 101,
        })
      ).statusCode,
    ).toBe(400);
    const done = await post('/v1/tasks/ext-basic-1/complete', {
      leaseToken: item.leaseToken,
      result: { ok: true },
    });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({
      id: 'ext-basic-1',
      status: 'completed',
      result: { ok: true },
    });
    expect(await getTask(app, 'ext-basic-1')).toMatchObject({
      status: 'completed',
      result: { ok: true },
    });
    // completing twice is refused, and a built-in task is not an external one
    expect(
      (await post('/v1/tasks/ext-basic-1/complete', { leaseToken: item.leaseToken })).statusCode,
    ).toBe(409);
    const echo = (await submit(app, { type: 'echo', payload: 1 })).json();
    expect(
      (await post(`/v1/tasks/${echo.id}/complete`, { leaseToken: item.leaseToken })).statusCode,
    ).toBe(404);
  });

  it('an expired lease puts the task back; the late complete is refused and the next worker finishes it', async () => {
    await submit(app, { type: 'ext.expire', payload: {}, id: 'ext-expire-1' });
    const [first] = await items({ types: ['ext.expire'], leaseSeconds: 5 });
    expect(first.task.id).toBe('ext-expire-1');
    const t0 = Date.now();
    const [second] = await items({ types: ['ext.expire'], waitSeconds: 10, leaseSeconds: 30 });
    const waited = Date.now() - t0;
    expect(second.task.id).toBe('ext-expire-1'); // back in the queue after the 5 s lease (+ stalled check)
    expect(waited).toBeGreaterThan(4000);
    expect(waited).toBeLessThan(9000);
    const late = await post('/v1/tasks/ext-expire-1/complete', {
      leaseToken: first.leaseToken,
      result: 'late',
    });
    expect(late.statusCode).toBe(409);
    expect((await getTask(app, 'ext-expire-1')).status).toBe('active');
    const ok = await post('/v1/tasks/ext-expire-1/complete', {
      leaseToken: second.leaseToken,
      result: 'ok',
    });
    expect(ok.json()).toMatchObject({ status: 'completed', result: 'ok' });
  });

  it('fail: retryable goes back to the queue while attempts remain, retryable false fails at once', async () => {
    await submit(app, { type: 'ext.fail', payload: {}, id: 'ext-fail-1', maxAttempts: 2 });
    const [a] = await items({ types: ['ext.fail'] });
    const f1 = await post('/v1/tasks/ext-fail-1/fail', { leaseToken: a.leaseToken, error: 'boom' });
    expect(f1.statusCode).toBe(200);
    expect(['queued', 'delayed']).toContain(f1.json().status);
    expect(f1.json()).toMatchObject({ attempts: 1, error: 'boom' });
    const [b] = await items({ types: ['ext.fail'], waitSeconds: 5 }); // after the 100 ms backoff
    expect(b.task.id).toBe('ext-fail-1');
    const f2 = await post('/v1/tasks/ext-fail-1/fail', {
      leaseToken: b.leaseToken,
      error: 'boom again',
    });
    expect(f2.json()).toMatchObject({ status: 'failed', attempts: 2, error: 'boom again' });

    await submit(app, { type: 'ext.fail', payload: {}, id: 'ext-fail-2', maxAttempts: 5 });
    const [c] = await items({ types: ['ext.fail'] });
    const f3 = await post('/v1/tasks/ext-fail-2/fail', {
      leaseToken: c.leaseToken,
      error: 'bad input',
      retryable: false,
    });
    expect(f3.json()).toMatchObject({ status: 'failed', attempts: 1, error: 'bad input' });
    expect((await post('/v1/tasks/ext-fail-2/fail', { leaseToken: c.leaseToken })).statusCode).toBe(
      400,
    ); // error is required
    // a failed external task can be retried like any other
    expect((await post('/v1/tasks/ext-fail-2/retry', {})).statusCode).toBe(202);
    expect((await items({ types: ['ext.fail'] }))[0].task.id).toBe('ext-fail-2');
  });

  it('priorities and FIFO hold across leases, and types are taken in the order asked', async () => {
    const prios = [5, 1, 10, 1, 5, 3];
    for (const [i, priority] of prios.entries())
      await submit(app, { type: 'ext.prio', payload: { i }, id: `ext-prio-${i}`, priority });
    await submit(app, { type: 'reports.pdf', payload: {}, id: 'ext-prio-report' });
    const got: string[] = [];
    for (let i = 0; i < prios.length; i++)
      got.push(...(await items({ types: ['ext.prio'], max: 1 })).map((it) => it.task.id));
    expect(got).toEqual([
      'ext-prio-1',
      'ext-prio-3',
      'ext-prio-5',
      'ext-prio-0',
      'ext-prio-4',
      'ext-prio-2',
    ]);
    expect(
      (await items({ types: ['ext.prio', 'reports.pdf'], max: 10 })).map((i) => i.task.id),
    ).toEqual(['ext-prio-report']);
  });

  /** POST /v1/tasks/complete: outcomes by item; the counters of /metrics by label. */
  const completeMany = (items: Array<Record<string, unknown>>) =>
    post('/v1/tasks/complete', { items });
  const metric = async (name: string, labels: string): Promise<number> => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
    return line ? Number(line.split(' ')[1]) : 0;
  };
  const lostItem = (id: string) => ({
    id,
    error: { code: 'TASK_LEASE_LOST', message: expect.stringContaining(id) },
  });

  it('batch complete: one lease of 10 in priority order, outcomes per item in request order, a bad item fails alone', async () => {
    const prios = [5, 1, 10, 1, 5, 3];
    for (const [i, priority] of prios.entries())
      await submit(app, { type: 'ext.many', payload: { i }, id: `ext-many-${i}`, priority });
    const granted = await metric('tasks_leases_granted_total', 'type="ext.many"');
    const leased = await items({ types: ['ext.many'], max: 10, leaseSeconds: 30 });
    // one lease takes many in one go, in the same order as one at a time
    expect(leased.map((i) => i.task.id)).toEqual([
      'ext-many-1',
      'ext-many-3',
      'ext-many-5',
      'ext-many-0',
      'ext-many-4',
      'ext-many-2',
    ]);
    expect(await metric('tasks_leases_granted_total', 'type="ext.many"')).toBe(granted + 6);
    const [a, b, c, d, e, f] = leased;
    const wrong = b.leaseToken.replace(/^./, (ch) => (ch === 'a' ? 'b' : 'a'));
    const echo = (await submit(app, { type: 'echo', payload: 1 })).json();
    const before = {
      completed: await metric('tasks_lease_finishes_total', 'op="complete",outcome="completed"'),
      lost: await metric('tasks_lease_finishes_total', 'op="complete",outcome="lease_lost"'),
      missing: await metric('tasks_lease_finishes_total', 'op="complete",outcome="not_found"'),
    };
    const res = await completeMany([
      { id: a.task.id, leaseToken: a.leaseToken, result: { n: 'a' } },
      { id: b.task.id, leaseToken: wrong, result: 'never' },
      { id: 'ext-many-none', leaseToken: c.leaseToken },
      { id: c.task.id, leaseToken: c.leaseToken },
      { id: echo.id, leaseToken: d.leaseToken }, // a built-in task is no external one
      { id: d.task.id, leaseToken: e.leaseToken }, // another lease's token
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      items: [
        { id: a.task.id, status: 'completed' },
        lostItem(b.task.id),
        { id: 'ext-many-none', error: { code: 'NOT_FOUND', message: expect.any(String) } },
        { id: c.task.id, status: 'completed' },
        { id: echo.id, error: { code: 'NOT_FOUND', message: expect.any(String) } },
        lostItem(d.task.id),
      ],
    });
    expect(await getTask(app, a.task.id)).toMatchObject({
      status: 'completed',
      result: { n: 'a' },
    });
    expect(await getTask(app, c.task.id)).toMatchObject({ status: 'completed', result: null });
    for (const it of [b, d]) expect((await getTask(app, it.task.id)).status).toBe('active'); // nothing changed
    expect(await metric('tasks_lease_finishes_total', 'op="complete",outcome="completed"')).toBe(
      before.completed + 2,
    );
    expect(await metric('tasks_lease_finishes_total', 'op="complete",outcome="lease_lost"')).toBe(
      before.lost + 2,
    );
    expect(await metric('tasks_lease_finishes_total', 'op="complete",outcome="not_found"')).toBe(
      before.missing + 2,
    );

    // completing again: refused per item; the rest of the lease completes with its own tokens
    const again = await completeMany([
      { id: a.task.id, leaseToken: a.leaseToken },
      ...[b, d, e, f].map((it) => ({ id: it.task.id, leaseToken: it.leaseToken, result: 1 })),
    ]);
    expect(again.json().items).toEqual([
      lostItem(a.task.id),
      ...[b, d, e, f].map((it) => ({ id: it.task.id, status: 'completed' })),
    ]);
    expect(await getTask(app, b.task.id)).toMatchObject({ status: 'completed', result: 1 });
  });

  it('batch complete: an expired lease fails its item (the task went back), and bad bodies are 400 naming the field', async () => {
    await submit(app, { type: 'ext.bexp', payload: {}, id: 'ext-bexp-1' });
    const expired = await metric('tasks_leases_expired_total', 'type="ext.bexp"');
    const [first] = await items({ types: ['ext.bexp'], leaseSeconds: 5 });
    const [second] = await items({ types: ['ext.bexp'], waitSeconds: 10, leaseSeconds: 30 });
    expect(second.task.id).toBe('ext-bexp-1'); // back in the queue after the 5 s lease
    expect(await metric('tasks_leases_expired_total', 'type="ext.bexp"')).toBe(expired + 1);
    const late = await completeMany([{ id: 'ext-bexp-1', leaseToken: first.leaseToken }]);
    expect(late.statusCode).toBe(200);
    expect(late.json().items).toEqual([lostItem('ext-bexp-1')]);
    expect((await getTask(app, 'ext-bexp-1')).status).toBe('active');

    const token = second.leaseToken;
    const fields = async (body: unknown) => {
      const res = await post('/v1/tasks/complete', body as Record<string, unknown>);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
      return res.json().errors.map((e: { field: string }) => e.field);
    };
    expect(await fields({ items: [] })).toEqual(['items']);
    expect(await fields({})).toEqual(['items']);
    expect(await fields({ items: 'x' })).toContain('items');
    const many = Array.from({ length: 101 }, (_, i) => ({ id: `x-${i}`, leaseToken: token }));
    expect(await fields({ items: many })).toEqual(['items']);
    expect(
      await fields({
        items: [
          { id: 'ext-bexp-1', leaseToken: token },
          { id: 'ext-bexp-2', leaseToken: 'nope' },
          { leaseToken: token },
          { id: '123', leaseToken: token, extra: 1 },
        ],
      }),
    ).toEqual(['items.1.leaseToken', 'items.2.id', 'items.3.extra', 'items.3.id']);
    const dup = await post('/v1/tasks/complete', {
      items: [
        { id: 'ext-bexp-1', leaseToken: token },
        { id: 'ext-other', leaseToken: token },
        { id: 'ext-bexp-1', leaseToken: token },
      ],
    });
    expect(dup.statusCode).toBe(400);
    expect(dup.json().errors).toEqual([
      { field: 'items.2.id', messages: ['id ext-bexp-1 is already items.0.id'] },
    ]);
    expect((await getTask(app, 'ext-bexp-1')).status).toBe('active'); // a 400 changes nothing
    // the single routes still answer beside the static path
    const ok = await post('/v1/tasks/ext-bexp-1/complete', { leaseToken: token, result: 'ok' });
    expect(ok.json()).toMatchObject({ status: 'completed', result: 'ok' });
  });

  it('a lease taken on one replica is heartbeaten, completed and failed on another (no memory of it there)', async () => {
    const other = await bootApp({
      APP_ROLE: 'api',
      INGEST_ENABLED: 'false',
      TASKS_QUEUE_NAME: queueName,
      TASKS_EXTERNAL_TYPES: 'ext.*, reports.pdf',
    });
    try {
      for (let i = 0; i < 4; i++)
        await submit(app, { type: 'ext.replica', payload: { i }, id: `ext-replica-${i}` });
      const leased = await items({ types: ['ext.replica'], max: 4, leaseSeconds: 30 });
      expect(leased).toHaveLength(4);
      const there = (url: string, payload: Record<string, unknown>) =>
        other.inject({ method: 'POST', url, headers: auth, payload });
      const [a, b, c, d] = leased;
      const hb = await there(`/v1/tasks/${a.task.id}/heartbeat`, {
        leaseToken: a.leaseToken,
        progress: 30,
      });
      expect(hb.statusCode).toBe(200);
      const one = await there(`/v1/tasks/${a.task.id}/complete`, {
        leaseToken: a.leaseToken,
        result: 'a',
      });
      expect(one.json()).toMatchObject({ id: a.task.id, status: 'completed', result: 'a' });
      const failed = await there(`/v1/tasks/${b.task.id}/fail`, {
        leaseToken: b.leaseToken,
        error: 'no',
        retryable: false,
      });
      expect(failed.json()).toMatchObject({ status: 'failed', error: 'no' });
      const batch = await there('/v1/tasks/complete', {
        items: [
          { id: c.task.id, leaseToken: c.leaseToken, result: 'c' },
          { id: d.task.id, leaseToken: c.leaseToken },
        ],
      });
      expect(batch.json().items).toEqual([
        { id: c.task.id, status: 'completed' },
        lostItem(d.task.id),
      ]);
      expect(await getTask(app, c.task.id)).toMatchObject({ status: 'completed', result: 'c' });
      // and back on the replica that leased: what the other one finished is refused here too
      expect(
        (await completeMany([{ id: a.task.id, leaseToken: a.leaseToken }])).json().items,
      ).toEqual([lostItem(a.task.id)]);
      expect(
        (await completeMany([{ id: d.task.id, leaseToken: d.leaseToken }])).json().items,
      ).toEqual([{ id: d.task.id, status: 'completed' }]);
    } finally {
      await other.close();
    }
  });

  it('GET /v1/tasks lists external tasks beside built-in ones, with the same filters and cursor paging', async () => {
    for (const [i, priority] of [5, 1, 3].entries())
      await submit(app, { type: 'ext.list', payload: { i }, id: `ext-list-${i}`, priority });
    const echo = (await submit(app, { type: 'echo', payload: 'listed' })).json();
    const list = async (query: string) => {
      const res = await app.inject({ method: 'GET', url: `/v1/tasks?${query}`, headers: auth });
      expect(res.statusCode).toBe(200);
      return res.json() as {
        items: Array<{ id: string; status: string }>;
        nextCursor: string | null;
      };
    };
    const all = async (query: string) => {
      const ids: string[] = [];
      for (let cursor: string | null = ''; cursor !== null;) {
        const page = await list(`${query}${cursor ? `&cursor=${cursor}` : ''}`);
        ids.push(...page.items.map((t) => t.id));
        cursor = page.nextCursor;
      }
      return ids;
    };
    // a type filter: only that type's queue, in priority order, one per page
    expect(await all('type=ext.list&limit=1')).toEqual(['ext-list-1', 'ext-list-2', 'ext-list-0']);
    const [leased] = await items({ types: ['ext.list'] });
    expect(leased.task.id).toBe('ext-list-1');
    const active = await list('type=ext.list&status=active');
    expect(active.items.map((t) => [t.id, t.status])).toEqual([['ext-list-1', 'active']]);
    expect((await list('type=ext.list&status=queued')).items.map((t) => t.id)).toEqual([
      'ext-list-2',
      'ext-list-0',
    ]);
    // no filter: every queue, built-in and external, each task once across the pages
    const ids = await all('limit=7');
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(
      expect.arrayContaining(['ext-list-0', 'ext-list-1', 'ext-list-2', echo.id]),
    );
    expect(await all('status=queued&limit=100')).toEqual(
      expect.arrayContaining(['ext-list-2', 'ext-list-0']),
    );
  });

  it('a waiting lease answers as soon as a task is submitted, and [] when the wait ends', async () => {
    const t0 = Date.now();
    expect(await items({ types: ['ext.poll'], waitSeconds: 1 })).toEqual([]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    const pending = items({ types: ['ext.poll'], waitSeconds: 10 });
    await sleep(300);
    const t1 = Date.now();
    await submit(app, { type: 'ext.poll', payload: {}, id: 'ext-poll-1' });
    expect((await pending).map((i) => i.task.id)).toEqual(['ext-poll-1']);
    expect(Date.now() - t1).toBeLessThan(1000);
  });

  it('100 waiting leases hold no Redis connection of their own', async () => {
    // Sockets of this process (other suites run in other processes): Redis clients are TCP sockets;
    // inject() requests use none.
    const sockets = () =>
      process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    expect(await items({ types: ['ext.conn'] })).toEqual([]); // the type's Worker exists from here
    await sleep(200);
    const before = sockets();
    expect(before).toBeGreaterThan(0); // the app's Redis clients are counted
    const waiting = Array.from({ length: 100 }, () =>
      items({ types: ['ext.conn'], waitSeconds: 3 }),
    );
    await sleep(1000);
    expect(sockets()).toBe(before);
    await submit(app, { type: 'ext.conn', payload: {}, id: 'ext-conn-1' });
    const got = (await Promise.all(waiting)).flat();
    expect(got.map((i) => i.task.id)).toEqual(['ext-conn-1']); // exactly one of the 100 gets it
  });

  /** The Python worker of docs/tasks.md, run as written. */
  const script = join(tmpdir(), `task_worker_${process.pid}.py`);
  beforeAll(() => {
    const doc = readFileSync(join(__dirname, '..', 'docs', 'tasks.md'), 'utf8');
    const block = /```python\n([\s\S]*?)```/.exec(doc);
    if (!block) throw new Error('docs/tasks.md has no python block');
    writeFileSync(script, block[1]);
  });
  const worker = (env: Record<string, string>) => {
    const child: ChildProcess = spawn('python3', [script], {
      env: { ...process.env, PLATFORM_API: base, API_KEY: TEST_KEY, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const lines = () =>
      out
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' '));
    return { child, exited, lines, err: () => err };
  };

  it('500 tasks through two Python workers from the docs: each completed exactly once', async () => {
    for (let b = 0; b < 5; b++) {
      const tasks = Array.from({ length: 100 }, (_, i) => ({
        type: 'ext.py',
        payload: { n: b * 100 + i },
        id: `ext-py-${b * 100 + i}`,
      }));
      expect((await submitBatch(app, { tasks })).statusCode).toBe(202);
    }
    const env = { TASK_TYPES: 'ext.py', WAIT_SECONDS: '1', EXIT_WHEN_IDLE: '1' };
    const w1 = worker(env);
    const w2 = worker(env);
    expect(await w1.exited).toBe(0);
    expect(await w2.exited).toBe(0);
    const all = [...w1.lines(), ...w2.lines()];
    expect(all.every(([, status]) => status === '200')).toBe(true);
    const ids = all.map(([id]) => id);
    expect(ids).toHaveLength(500);
    expect(new Set(ids).size).toBe(500);
    expect(w1.lines().length).toBeGreaterThan(0);
    expect(w2.lines().length).toBeGreaterThan(0);
    const sample = await getTask(app, 'ext-py-123');
    expect(sample).toMatchObject({ status: 'completed', result: { echo: { n: 123 } } });
  });

  it('a SIGKILLed Python worker loses nothing: its lease expires and another worker finishes the task', async () => {
    await submit(app, { type: 'ext.kill', payload: { k: 1 }, id: 'ext-kill-1' });
    const doomed = worker({ TASK_TYPES: 'ext.kill', WORK_SECONDS: '60', LEASE_SECONDS: '5' });
    await waitTask(app, 'ext-kill-1', (t) => t.status === 'active', 10_000);
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const survivor = worker({ TASK_TYPES: 'ext.kill', WAIT_SECONDS: '10', EXIT_WHEN_IDLE: '1' });
    const task = await waitTask(app, 'ext-kill-1', (t) => t.status === 'completed', 20_000);
    expect(task.result).toEqual({ echo: { k: 1 }, worker: survivor.child.pid });
    survivor.child.kill('SIGTERM');
    await survivor.exited;
  });
});
