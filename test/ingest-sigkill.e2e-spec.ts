import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { freePort } from '../scripts/stack/index.ts';
import { auth, bootApp } from './support/app';
import { directClients, ingestNames, LOADED_EMULATOR, waitFor } from './support/ingest';

jest.setTimeout(45_000);

/** Consumers in a separate worker process (`node dist/main.js`, APP_ROLE=worker), killed mid-stream. */
describe('ingest: a worker killed with SIGKILL loses nothing', () => {
  const names = ingestNames('sigkill');
  const aws = directClients();
  let api: NestFastifyApplication;
  const workers: ChildProcess[] = [];

  const startWorker = async (): Promise<ChildProcess> => {
    const child = spawn(process.execPath, [join(__dirname, '..', 'dist', 'main.js')], {
      env: {
        ...process.env,
        ...names,
        APP_ROLE: 'worker',
        PORT: String(await freePort()),
        HOST: '127.0.0.1',
        INGEST_CONSUMERS: '1',
        // One pack of 10 per receive: the stream has 60 steps to be killed in the middle of
        // (default packs of 100, received 10 at a time, store all 600 in one step).
        INGEST_RECEIVE_BATCH: '1',
        INGEST_WAIT_TIME_SECONDS: '1',
        // What the killed worker held comes back after 2 s.
        INGEST_VISIBILITY_TIMEOUT_SECONDS: '2',
        INGEST_HEARTBEAT_SECONDS: '1',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    workers.push(child);
    return child;
  };
  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null
      ? Promise.resolve()
      : new Promise((r) => child.once('exit', r));
  const post = (ids: string[]) =>
    api.inject({
      method: 'POST',
      url: '/v1/ingest/messages',
      headers: auth,
      payload: { messages: ids.map((id) => ({ id, payload: { id } })) },
    });
  const count = () => aws.count(names.INGEST_TABLE_NAME);

  beforeAll(async () => {
    api = await bootApp({
      ...names,
      ...LOADED_EMULATOR,
      APP_ROLE: 'api',
      INGEST_PACK_MAX_MESSAGES: '10',
      // Every POST goes through the coalescing window (on by default; by default only requests
      // of up to 10 messages do).
      INGEST_COALESCE_MAX_REQUEST_MESSAGES: '100',
    });
  });
  afterAll(async () => {
    for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill('SIGKILL');
    await Promise.all(workers.map(exited));
    await api.close();
    aws.destroy();
  });

  it('stores every accepted id exactly once after a restart, and nothing else', async () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `k-${i}`);
    const accepted: string[] = [];
    const postAll = async (part: string[]) => {
      for (let i = 0; i < part.length; i += 100) {
        const res = await post(part.slice(i, i + 100));
        expect(res.statusCode).toBe(202);
        accepted.push(...res.json().messages.map((m: { id: string }) => m.id));
      }
    };
    await postAll(ids.slice(0, 600));
    const first = await startWorker();
    await waitFor('the first worker to store some', async () => (await count()) >= 100, 20_000, 25);
    first.kill('SIGKILL');
    await exited(first);
    expect(await count()).toBeLessThan(600); // killed mid-stream
    await postAll(ids.slice(600));
    const second = await startWorker();
    await waitFor('all 1000 stored', async () => (await count()) >= 1000, 30_000, 250);
    second.kill('SIGTERM');
    await exited(second);
    expect(second.exitCode).toBe(0);
    const items = await aws.scan(names.INGEST_TABLE_NAME);
    expect(items).toHaveLength(1000);
    expect(items.map((i) => i.id).sort()).toEqual([...accepted].sort());
    for (const item of items) expect(item.payload).toEqual({ id: item.id });
  });
});
