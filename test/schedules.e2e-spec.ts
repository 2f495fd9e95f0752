import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import { uniqueQueue } from './support/tasks';

jest.setTimeout(90_000);

/** Job schedulers with three app replicas (each with its worker) on one queue. */
describe('schedules (BullMQ job schedulers, three replicas)', () => {
  const queue = uniqueQueue('sched');
  let apps: NestFastifyApplication[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++)
      apps.push(
        await bootApp({ APP_ROLE: 'all', INGEST_ENABLED: 'false', TASKS_QUEUE_NAME: queue }),
      );
  });
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.close()));
    apps = [];
  });

  const req = (i: number, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
    apps[i].inject({ method, url, headers: auth, payload: payload as Record<string, unknown> });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /**
   * Tasks of the queue created by schedule `name` (BullMQ ids `repeat:<name>:<ts>`) that are due:
   * the scheduler always holds the next tick as a delayed task, which is not counted.
   */
  const tasksOf = async (name: string) => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await req(0, 'GET', `/v1/tasks?limit=100${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.statusCode).toBe(200);
      const body = res.json() as {
        items: { id: string; status: string }[];
        nextCursor: string | null;
      };
      for (const t of body.items)
        if (t.id.startsWith(`repeat:${name}:`) && t.status !== 'delayed') ids.push(t.id);
      cursor = body.nextCursor;
    } while (cursor);
    return ids;
  };

  it('names bad fields', async () => {
    const cases: [object, string][] = [
      [{ name: 'x', everyMs: 1000, cron: '* * * * *', task: { type: 'echo' } }, 'cron'],
      [{ name: 'x', task: { type: 'echo' } }, 'cron'],
      [{ name: 'x', cron: 'not a cron', task: { type: 'echo' } }, 'cron'],
      [{ name: 'x', cron: '* * * * *', tz: 'Mars/Olympus', task: { type: 'echo' } }, 'tz'],
      [{ name: 'x', everyMs: 1000, tz: 'UTC', task: { type: 'echo' } }, 'tz'],
      [{ name: 'x', everyMs: 10, task: { type: 'echo' } }, 'everyMs'],
      [{ name: 'bad name', everyMs: 1000, task: { type: 'echo' } }, 'name'],
      [{ name: 'x', everyMs: 1000, task: { type: 'nope' } }, 'task.type'],
      [
        { name: 'x', everyMs: 1000, task: { type: 'sleep', payload: { ms: 'x' } } },
        'task.payload.ms',
      ],
      [{ name: 'x', everyMs: 1000, task: { type: 'echo', priority: 0 } }, 'task.priority'],
      [{ name: 'x', everyMs: 1000 }, 'task'],
      [{ name: 'x', everyMs: 1000, task: { type: 'echo' }, startAt: 'soon' }, 'startAt'],
      [
        {
          name: 'x',
          everyMs: 1000,
          task: { type: 'echo' },
          startAt: '2030-01-02T00:00:00Z',
          endAt: '2030-01-01T00:00:00Z',
        },
        'endAt',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await req(0, 'POST', '/v1/schedules', body);
      expect([res.statusCode, res.json().errors?.map((e: { field: string }) => e.field)]).toEqual([
        400,
        expect.arrayContaining([field]),
      ]);
    }
    expect((await req(0, 'GET', '/v1/schedules/bad%20name')).statusCode).toBe(400);
    expect((await req(0, 'GET', '/v1/schedules/none-such')).statusCode).toBe(404);
    expect((await req(0, 'DELETE', '/v1/schedules/none-such')).statusCode).toBe(404);
  });

  it('a cron schedule shows its next runs in its time zone', async () => {
    const body = {
      name: 'nightly',
      cron: '0 3 * * *',
      tz: 'Europe/Paris',
      task: { type: 'echo', payload: { n: 1 } },
    };
    const res = await req(1, 'POST', '/v1/schedules', body);
    expect(res.statusCode).toBe(201);
    const s = res.json();
    expect(s).toMatchObject({
      name: 'nightly',
      cron: '0 3 * * *',
      tz: 'Europe/Paris',
      everyMs: null,
    });
    expect(s.nextRuns).toHaveLength(5);
    for (const r of s.nextRuns)
      expect(new Date(r).toLocaleTimeString('en-GB', { timeZone: 'Europe/Paris' })).toBe(
        '03:00:00',
      );
    expect(
      (await req(2, 'GET', '/v1/schedules')).json().items.map((x: { name: string }) => x.name),
    ).toContain('nightly');
    expect((await req(0, 'DELETE', '/v1/schedules/nightly')).statusCode).toBe(200);
  });

  it('every 1 s for 10 s with three replicas creates 10 ± 1 tasks, not 30; create is idempotent; delete stops it', async () => {
    const body = { name: 'tick', everyMs: 1000, task: { type: 'echo', payload: { tick: true } } };
    const created = await req(0, 'POST', '/v1/schedules', body);
    const t0 = Date.now();
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/v1/schedules/tick');
    // the same body through another replica: the same schedule; another body: 409
    const again = await req(1, 'POST', '/v1/schedules', body);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ name: 'tick', everyMs: 1000 });
    const other = await req(2, 'POST', '/v1/schedules', { ...body, everyMs: 2000 });
    expect(other.statusCode).toBe(409);
    expect(other.json().code).toBe('SCHEDULE_CONFLICT');
    const runs: string[] = (await req(2, 'GET', '/v1/schedules/tick')).json().nextRuns;
    expect(runs).toHaveLength(5);
    expect(Date.parse(runs[1]) - Date.parse(runs[0])).toBe(1000);

    await sleep(10_000 - (Date.now() - t0));
    const inTen = await tasksOf('tick');
    expect(inTen.length).toBeGreaterThanOrEqual(9);
    expect(inTen.length).toBeLessThanOrEqual(11);

    expect((await req(1, 'DELETE', '/v1/schedules/tick')).statusCode).toBe(200);
    const atDelete = (await tasksOf('tick')).length;
    await sleep(3000);
    expect((await tasksOf('tick')).length).toBe(atDelete);
    expect((await req(0, 'GET', '/v1/schedules/tick')).statusCode).toBe(404);
  });
});
