import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp, TEST_KEY } from './support/app';
import { directClients, FAST_CONSUMER, ingestNames, waitFor } from './support/ingest';
import { spawnApp, waitForStatus, type AppProcess } from './support/process';

jest.setTimeout(60_000);

/**
 * Coalescing (INGEST_COALESCE_WINDOW_MS): one-message requests wait in a window and are sent
 * together. An API process (`node dist/main.js`, APP_ROLE=api) is killed with SIGKILL while
 * requests wait in it, or mid-stream: no request was answered 202 before SQS confirmed its
 * message, so every 202 is stored after a worker runs, and none waiting in the window was answered.
 */
describe('ingest: coalesced requests and SIGKILL', () => {
  const aws = directClients();
  const apps: AppProcess[] = [];
  let worker: NestFastifyApplication | undefined;

  const startApi = async (names: Record<string, string>, env: Record<string, string>) => {
    const app = await spawnApp({
      ...names,
      ...env,
      API_KEYS: TEST_KEY,
      APP_ROLE: 'api',
      LOG_LEVEL: 'warn',
      INGEST_SEND_DEADLINE_MS: '5000',
    });
    apps.push(app);
    await waitForStatus(`${app.base}/health/ready`, 200, 30_000);
    return app;
  };
  const kill = async (app: AppProcess) => {
    app.child.kill('SIGKILL');
    await app.exited;
  };
  /** One message per request, on the v1 route (client id) or the compat route (id answered). */
  const post = async (base: string, i: number): Promise<{ id: string; status: number }> => {
    const compat = i % 2 === 1;
    const id = `c-${i}`;
    const res = await fetch(`${base}${compat ? '/process_message' : '/v1/ingest/messages'}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth },
      body: JSON.stringify(compat ? { i } : { messages: [{ id, payload: { i } }] }),
    });
    const body = (await res.json()) as { id?: string };
    return { id: compat ? String(body.id) : id, status: res.status };
  };
  /** One series without labels (`family` or `family_count`...) of the process's /metrics. */
  const metric = async (base: string, family: string, series = family): Promise<number> => {
    const text = await (await fetch(`${base}/metrics?name=${family}`)).text();
    return Number(new RegExp(`^${series} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? NaN);
  };

  afterAll(async () => {
    for (const app of apps)
      if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
    await Promise.all(apps.map((a) => a.exited));
    await worker?.close();
    aws.destroy();
  });

  it('answers none of the requests waiting in the window when killed, and sends none of them', async () => {
    const names = ingestNames('coalesce-window');
    // A window far longer than it takes to get the requests in: they are all waiting when killed.
    const api = await startApi(names, { INGEST_COALESCE_WINDOW_MS: '1000' });
    const requests = Array.from({ length: 20 }, (_, i) => post(api.base, i));
    await waitFor(
      'all 20 requests waiting in the window',
      async () => (await metric(api.base, 'ingest_coalesce_waiting_requests')) === 20,
      20_000,
      10,
    );
    await kill(api);
    const settled = await Promise.allSettled(requests);
    expect(settled.filter((s) => s.status === 'fulfilled')).toEqual([]);
    const queued = await aws.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: await aws.queueUrl(names.INGEST_QUEUE_NAME),
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(queued.Attributes).toEqual({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '0',
    });
  });

  it('stores every request answered 202 before a SIGKILL mid-stream', async () => {
    const names = ingestNames('coalesce-stream');
    const api = await startApi(names, { INGEST_COALESCE_WINDOW_MS: '5' });
    const accepted: string[] = [];
    let failed = 0;
    let next = 0;
    let killed = false;
    // 16 connections in a loop, one message per request, until the process is gone.
    const loops = Array.from({ length: 16 }, async () => {
      while (!killed) {
        try {
          const r = await post(api.base, next++);
          if (r.status === 202 || r.status === 200) accepted.push(r.id);
          else failed++;
        } catch {
          // The connection died with the process: this request was never answered.
        }
      }
    });
    await waitFor('300 requests answered', async () => accepted.length >= 300, 30_000, 5);
    // Several requests went out in one batch (the window is doing its job).
    const family = 'ingest_coalesced_batch_requests';
    const batches = await metric(api.base, family, `${family}_count`);
    const requests = await metric(api.base, family, `${family}_sum`);
    expect(requests / batches).toBeGreaterThan(1);
    await kill(api);
    killed = true;
    await Promise.all(loops);
    expect(failed).toBe(0);
    const answered = [...accepted];

    worker = await bootApp({ ...names, ...FAST_CONSUMER, APP_ROLE: 'worker' });
    const storedIds = async () =>
      new Set((await aws.scan(names.INGEST_TABLE_NAME)).map((i) => String(i.id)));
    await waitFor(
      'every id answered 202 stored',
      async () => {
        const ids = await storedIds();
        return answered.every((id) => ids.has(id));
      },
      30_000,
      250,
    );
    const stored = await storedIds();
    expect(answered.filter((id) => !stored.has(id))).toEqual([]);
    // Nothing else: at most the requests in flight at the kill (their SQS send may have
    // completed without an answer reaching the client).
    expect(stored.size - answered.length).toBeLessThanOrEqual(16);
  });
});
