import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootApp } from './support/app';
import { KubeletMount } from './support/keys';
import { uniqueQueue } from './support/tasks';

jest.setTimeout(60_000);

const ROOT = 'root-key-0123456789abcdef';
const TEAM_A = 'team-a-key-0123456789abcdef';
const OPS = 'ops-echo-key-0123456789abcdef';

const KEYS =
  'keys:\n' +
  `  - id: root\n    key: ${ROOT}\n    scopes: [admin]\n` +
  `  - id: team-a\n    key: ${TEAM_A}\n    scopes: [tasks:read, tasks:write, tasks:work]\n    taskTypes: [echo, ext.a.*]\n` +
  // admin sees every owner's tasks, but with taskTypes only those types
  `  - id: ops\n    key: ${OPS}\n    scopes: [admin]\n    taskTypes: [echo]\n`;

/** A key's `taskTypes`: submit, batch, schedules, lease, read, list, finish, events. */
describe('authorization: keys limited to some task types (taskTypes)', () => {
  let app: NestFastifyApplication;
  let mount: KubeletMount;

  beforeAll(async () => {
    mount = new KubeletMount(KEYS);
    app = await bootApp({
      API_KEYS: undefined,
      API_KEYS_FILE: mount.path,
      APP_ROLE: 'api', // nothing runs the tasks: their states change only by the requests
      INGEST_ENABLED: 'false',
      RATE_LIMIT_ENABLED: 'false',
      TASKS_QUEUE_NAME: uniqueQueue('authz-types'),
      TASKS_EXTERNAL_TYPES: 'ext.*',
    });
  });
  afterAll(async () => {
    await app?.close();
    mount?.remove();
  });

  const call = (key: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, headers: { 'x-api-key': key }, ...(payload ? { payload } : {}) });
  const forbidden = (
    res: { statusCode: number; json(): Record<string, unknown> },
    type: string,
    field: string,
  ) => {
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      code: 'AUTH_TASK_TYPE_FORBIDDEN',
      taskType: type,
      field,
      message: expect.stringContaining(`task type ${type}`),
    });
  };

  it('submit, batch and schedules: a type outside the key is 403 naming the field, and nothing is queued', async () => {
    expect(
      (await call(TEAM_A, 'POST', '/v1/tasks', { type: 'echo', payload: {} })).statusCode,
    ).toBe(202);
    expect(
      (await call(TEAM_A, 'POST', '/v1/tasks', { type: 'ext.a.report', payload: {} })).statusCode,
    ).toBe(202);
    forbidden(
      await call(TEAM_A, 'POST', '/v1/tasks', { type: 'sleep', payload: { ms: 1 } }),
      'sleep',
      'type',
    );
    forbidden(
      await call(TEAM_A, 'POST', '/v1/tasks', { type: 'ext.b.x', payload: {} }),
      'ext.b.x',
      'type',
    );
    // an unknown type is still a 400 (validation first), not a 403
    expect(
      (await call(TEAM_A, 'POST', '/v1/tasks', { type: 'nope', payload: {} })).statusCode,
    ).toBe(400);

    const batch = await call(TEAM_A, 'POST', '/v1/tasks/batch', {
      tasks: [
        { type: 'echo', payload: {}, id: 'tt-batch-0' },
        { type: 'ext.b.x', payload: {}, id: 'tt-batch-1' },
      ],
    });
    forbidden(batch, 'ext.b.x', 'tasks.1.type');
    expect((await call(ROOT, 'GET', '/v1/tasks/tt-batch-0')).statusCode).toBe(404); // all or nothing

    forbidden(
      await call(TEAM_A, 'POST', '/v1/schedules', {
        name: 'tt-sched',
        everyMs: 60_000,
        task: { type: 'sleep', payload: { ms: 1 } },
      }),
      'sleep',
      'task.type',
    );
    expect((await call(ROOT, 'GET', '/v1/schedules/tt-sched')).statusCode).toBe(404);
  });

  it('lease: only the key’s types (403 naming types.<i>); heartbeat/complete/fail of another type: 404, nothing changes', async () => {
    for (const [type, id] of [
      ['ext.a.job', 'tt-a'],
      ['ext.b.job', 'tt-b'],
    ])
      expect((await call(ROOT, 'POST', '/v1/tasks', { type, payload: {}, id })).statusCode).toBe(
        202,
      );
    forbidden(
      await call(TEAM_A, 'POST', '/v1/tasks/lease', { types: ['ext.a.job', 'ext.b.job'] }),
      'ext.b.job',
      'types.1',
    );

    // root leases the ext.b task; team-a cannot touch it even with the right token
    const rootLease = (
      await call(ROOT, 'POST', '/v1/tasks/lease', { types: ['ext.b.job'] })
    ).json();
    const token = rootLease.items[0].leaseToken as string;
    for (const [path, extra] of [
      ['heartbeat', { progress: 50 }],
      ['complete', { result: 1 }],
      ['fail', { error: 'x' }],
    ] as const) {
      const res = await call(TEAM_A, 'POST', `/v1/tasks/tt-b/${path}`, {
        leaseToken: token,
        ...extra,
      });
      expect(res.statusCode).toBe(404);
    }
    // the batch complete: that item is not found, as on the single route
    const batch = await call(TEAM_A, 'POST', '/v1/tasks/complete', {
      items: [{ id: 'tt-b', leaseToken: token, result: 1 }],
    });
    expect(batch.statusCode).toBe(200);
    expect(batch.json().items).toEqual([
      { id: 'tt-b', error: { code: 'NOT_FOUND', message: expect.any(String) } },
    ]);
    expect((await call(ROOT, 'GET', '/v1/tasks/tt-b')).json()).toMatchObject({
      status: 'active',
      progress: 0,
    });

    // its own type: leased (a task another key created: workers are not owners) and completed
    const mine = (await call(TEAM_A, 'POST', '/v1/tasks/lease', { types: ['ext.a.job'] })).json();
    expect(mine.items.map((i: { task: { id: string } }) => i.task.id)).toEqual(['tt-a']);
    const done = await call(TEAM_A, 'POST', '/v1/tasks/tt-a/complete', {
      leaseToken: mine.items[0].leaseToken,
      result: 'ok',
    });
    expect(done.statusCode).toBe(200);
  });

  it('read, list, delete, retry and events: tasks of other types are not found, even for an admin key with taskTypes', async () => {
    const echo = (
      await call(ROOT, 'POST', '/v1/tasks', { type: 'echo', payload: {}, id: 'tt-echo' })
    ).json();
    expect(echo.id).toBe('tt-echo');
    await call(ROOT, 'POST', '/v1/tasks', { type: 'ext.b.read', payload: {}, id: 'tt-other' });
    await call(ROOT, 'POST', '/v1/tasks', { type: 'sleep', payload: { ms: 1 }, id: 'tt-sleep' });

    expect((await call(OPS, 'GET', '/v1/tasks/tt-echo')).statusCode).toBe(200); // admin: another owner's task
    for (const id of ['tt-other', 'tt-sleep']) {
      expect((await call(OPS, 'GET', `/v1/tasks/${id}`)).statusCode).toBe(404);
      expect((await call(OPS, 'GET', `/v1/tasks/${id}/events`)).statusCode).toBe(404);
      expect((await call(OPS, 'DELETE', `/v1/tasks/${id}`)).statusCode).toBe(404);
      expect((await call(OPS, 'POST', `/v1/tasks/${id}/retry`)).statusCode).toBe(404);
      expect((await call(ROOT, 'GET', `/v1/tasks/${id}`)).statusCode).toBe(200); // still there
    }
    const list = (await call(OPS, 'GET', '/v1/tasks?limit=100')).json();
    expect(list.items.length).toBeGreaterThan(0);
    for (const t of list.items) expect(t.type).toBe('echo');
    const all = (await call(ROOT, 'GET', '/v1/tasks?limit=100')).json();
    expect(all.items.some((t: { type: string }) => t.type === 'sleep')).toBe(true);
    forbidden(await call(OPS, 'GET', '/v1/tasks?type=sleep'), 'sleep', 'type');
  });
});
