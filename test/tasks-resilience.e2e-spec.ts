import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startRedis, type RedisProcess } from '../scripts/stack/index.ts';
import { auth, bootApp } from './support/app';
import { status, submit, submitBatch, uniqueQueue, waitTask } from './support/tasks';

jest.setTimeout(45_000);

/**
 * Workers as real processes (`node dist/main.js`, APP_ROLE=worker) on a Redis of this suite's
 * own, so they can be killed, and Redis stopped, without disturbing other suites.
 */
describe('tasks: worker crashes, graceful shutdown, Redis outage', () => {
  let redis: RedisProcess;
  let api: NestFastifyApplication;
  const queue = uniqueQueue('resilience');
  const children: ChildProcess[] = [];

  const startWorker = () => {
    const child = spawn(process.execPath, [join(__dirname, '..', 'dist', 'main.js')], {
      env: {
        ...process.env,
        APP_ROLE: 'worker',
        PORT: '0',
        HOST: '127.0.0.1',
        REDIS_URL: redis.url,
        TASKS_QUEUE_NAME: queue,
        TASKS_CONCURRENCY: '1',
        TASKS_LOCK_DURATION_MS: '1000',
        TASKS_STALLED_INTERVAL_MS: '300',
        SHUTDOWN_DELAY_MS: '0',
        INGEST_ENABLED: 'false',
        LOG_LEVEL: 'silent',
      },
      stdio: 'ignore',
    });
    children.push(child);
    return child;
  };
  const exited = (child: ChildProcess) =>
    new Promise<number | null>((resolve) =>
      child.exitCode !== null
        ? resolve(child.exitCode)
        : child.once('exit', (code) => resolve(code)),
    );

  beforeAll(async () => {
    redis = await startRedis();
    api = await bootApp({
      APP_ROLE: 'api',
      REDIS_URL: redis.url,
      TASKS_QUEUE_NAME: queue,
      INGEST_ENABLED: 'false',
    });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await api.close();
    await redis.stop();
  });

  it('SIGTERM: the active task completes, queued ones are left for the next worker', async () => {
    const worker = startWorker();
    const a = (await submit(api, { type: 'sleep', payload: { ms: 1200 } })).json().id;
    await waitTask(api, a, status('active'), 20_000);
    const b = (await submit(api, { type: 'echo', payload: 'b' })).json().id;
    worker.kill('SIGTERM');
    expect(await exited(worker)).toBe(0);
    expect(await waitTask(api, a, status('completed'), 1000)).toMatchObject({ attempts: 1 });
    expect((await waitTask(api, b, () => true)).status).toBe('queued');
  });

  it('SIGKILL mid-task: stalled-job recovery hands the task to the next worker', async () => {
    const first = startWorker();
    const id = (await submit(api, { type: 'sleep', payload: { ms: 1500 } })).json().id;
    // the echo task left by the previous test runs first on this worker (same priority, FIFO)
    await waitTask(api, id, status('active'), 20_000);
    first.kill('SIGKILL');
    await exited(first);
    expect((await waitTask(api, id, () => true)).status).toBe('active'); // nobody holds it now
    const second = startWorker();
    const done = await waitTask(api, id, status('completed'), 20_000);
    expect(done.result).toMatchObject({ sleptMs: expect.any(Number) });
    second.kill('SIGTERM');
    expect(await exited(second)).toBe(0);
  });

  it('Redis down: submission (single and batch) answers 503 within about a second, and works again once Redis is back', async () => {
    await redis.stop();
    for (const body of [
      { type: 'echo', payload: 1 },
      { type: 'echo', id: 'with-id', payload: 1 },
    ]) {
      const t0 = Date.now();
      const res = await submit(api, body);
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({
        statusCode: 503,
        message: expect.stringMatching(/Redis/),
      });
    }
    const b0 = Date.now();
    const batch = await submitBatch(api, {
      tasks: [
        { type: 'echo', payload: 1 },
        { type: 'echo', id: 'batch-with-id', payload: 2 },
      ],
    });
    expect(Date.now() - b0).toBeLessThan(1500);
    expect(batch.statusCode).toBe(503);
    expect(batch.json()).toMatchObject({
      statusCode: 503,
      message: expect.stringMatching(/Redis/),
    });
    const t0 = Date.now();
    expect((await api.inject({ method: 'GET', url: '/v1/tasks', headers: auth })).statusCode).toBe(
      503,
    );
    expect((await api.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1500);
    await redis.start();
    const deadline = Date.now() + 10_000;
    let code = 0;
    while (code !== 202 && Date.now() < deadline) {
      code = (await submit(api, { type: 'echo', payload: 2 })).statusCode;
      if (code !== 202) await new Promise((r) => setTimeout(r, 100));
    }
    expect(code).toBe(202);
    expect((await submitBatch(api, { tasks: [{ type: 'echo', payload: 3 }] })).statusCode).toBe(
      202,
    );
  });
});
