import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth } from './support/app';
import {
  directClients,
  ingestNames,
  startProxiedIngest,
  waitFor,
  type ProxiedIngest,
} from './support/ingest';
import { FAULT_MODES, type TcpProxy } from './support/tcp-proxy';

jest.setTimeout(40_000);

/** Bound of each dead-letter route in this suite (INGEST_ADMIN_DEADLINE_MS) and of one AWS request. */
const ADMIN_DEADLINE_MS = 2000;
const REQUEST_TIMEOUT_MS = 1000;

/**
 * SQS and DynamoDB reached through proxies this suite can cut; the shared emulators keep running.
 * Each test runs with the dependency reset (refused), hanging (accepts, never answers) and
 * stalling (half an answer, then nothing).
 */
describe.each(FAULT_MODES)('ingest: outages (%s)', (mode) => {
  const names = ingestNames(`outage-${mode}`);
  const aws = directClients();
  let sqs: TcpProxy;
  let ddb: TcpProxy;
  let app: NestFastifyApplication;
  let proxied: ProxiedIngest;
  beforeAll(async () => {
    proxied = await startProxiedIngest({
      ...names,
      INGEST_CONSUMERS: '2',
      // A short visibility and receive budget: without the heartbeat and in-place retry, an
      // outage of a few seconds would send every message to the DLQ.
      INGEST_VISIBILITY_TIMEOUT_SECONDS: '2',
      INGEST_HEARTBEAT_SECONDS: '1',
      INGEST_MAX_RECEIVE_COUNT: '2',
      INGEST_ADMIN_DEADLINE_MS: String(ADMIN_DEADLINE_MS),
      AWS_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      // Every POST goes through the coalescing window (on by default; by default only requests
      // of up to 10 messages do).
      INGEST_COALESCE_MAX_REQUEST_MESSAGES: '100',
    });
    ({ sqs, ddb, app } = proxied);
  });
  afterAll(async () => {
    await proxied.close();
    aws.destroy();
  });

  const post = (messages: unknown[]) =>
    app.inject({
      method: 'POST',
      url: '/v1/ingest/messages',
      headers: auth,
      payload: { messages },
    });

  it('keeps messages in SQS while DynamoDB is unreachable and stores them all once it is back', async () => {
    ddb.cut(mode);
    const messages = Array.from({ length: 50 }, (_, i) => ({ id: `outage-${i}`, payload: { i } }));
    expect((await post(messages)).statusCode).toBe(202);
    const get = await app.inject({
      method: 'GET',
      url: '/v1/ingest/messages/outage-1',
      headers: auth,
    });
    expect(get.statusCode).toBe(503);
    expect(get.json().message).toMatch(/DynamoDB/);
    await new Promise((r) => setTimeout(r, 5000)); // longer than visibility timeout × maxReceiveCount
    expect(await aws.scan(names.INGEST_TABLE_NAME)).toHaveLength(0);
    ddb.resume();
    await waitFor('50 items', async () => (await aws.count(names.INGEST_TABLE_NAME)) === 50);
    const items = await aws.scan(names.INGEST_TABLE_NAME);
    expect(items.map((i) => i.id).sort()).toEqual(messages.map((m) => m.id).sort());
    const dlq = await app.inject({ method: 'GET', url: '/v1/ingest/dead-letters', headers: auth });
    expect(dlq.json().count).toBe(0);
  });

  it('answers 503 within about a second when SQS is unreachable, listing what was not accepted', async () => {
    sqs.cut(mode);
    try {
      const messages = Array.from({ length: 30 }, (_, i) => ({
        id: `sqs-down-${i}`,
        payload: { i },
      }));
      const t0 = Date.now();
      const res = await post(messages);
      expect(Date.now() - t0).toBeLessThan(1500);
      expect(res.statusCode).toBe(503);
      expect(res.json()).toMatchObject({
        statusCode: 503,
        message: expect.stringMatching(/SQS/),
        accepted: [],
      });
      expect(res.json().notAccepted).toEqual(messages.map((m) => m.id));
      const ready = await app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(503);
    } finally {
      sqs.resume();
    }
    const again = await post([{ id: 'sqs-down-0', payload: { i: 0 } }]);
    expect(again.statusCode).toBe(202);
  });

  it('answers 503 on the dead-letter routes within their deadline while SQS is down, and serves them after', async () => {
    const call = (method: 'GET' | 'POST', url: string, payload?: object) =>
      app.inject({ method, url, headers: auth, ...(payload ? { payload } : {}) });
    // Queue URLs are known (cached) before the outage, as in a running service.
    expect((await call('GET', '/v1/ingest/dead-letters')).statusCode).toBe(200);
    sqs.cut(mode);
    try {
      const routes = [
        ['GET', '/v1/ingest/dead-letters', undefined],
        ['POST', '/v1/ingest/dead-letters/redrive', { method: 'manual' }],
        ['POST', '/v1/ingest/dead-letters/redrive', { method: 'auto' }],
      ] as const;
      const answers = await Promise.all(
        routes.map(async ([method, url, body]) => {
          const t0 = Date.now();
          const res = await call(method, url, body);
          return { url, body, status: res.statusCode, ms: Date.now() - t0, json: res.json() };
        }),
      );
      for (const a of answers) {
        // Documented worst case: the deadline, plus one bounded request to make peeked ones visible.
        expect({ ...a, slow: a.ms > ADMIN_DEADLINE_MS + REQUEST_TIMEOUT_MS + 500 }).toMatchObject({
          status: 503,
          slow: false,
          json: { message: expect.stringMatching(/SQS/) },
        });
      }
    } finally {
      sqs.resume();
    }
    expect((await call('GET', '/v1/ingest/dead-letters')).statusCode).toBe(200);
    const redrive = await call('POST', '/v1/ingest/dead-letters/redrive', { method: 'manual' });
    expect(redrive.statusCode).toBe(202);
  });
});
