import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
} from '@aws-sdk/client-sqs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import {
  directClients,
  FAST_CONSUMER,
  ingestNames,
  LOADED_EMULATOR,
  waitFor,
} from './support/ingest';

jest.setTimeout(30_000);

/** Several ingest messages per SQS message (packs): sending, storing, and what a bad pack-mate does. */
describe('ingest: packs', () => {
  const aws = directClients();
  const apps: NestFastifyApplication[] = [];
  const boot = async (env: Record<string, string>) => {
    const app = await bootApp({ ...LOADED_EMULATOR, ...env });
    apps.push(app);
    return app;
  };
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.close()));
  });
  afterAll(() => aws.destroy());

  const post = (app: NestFastifyApplication, messages: unknown[]) =>
    app.inject({
      method: 'POST',
      url: '/v1/ingest/messages',
      headers: auth,
      payload: { messages },
    });
  const depth = async (queue: string) => {
    const out = await aws.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: await aws.queueUrl(queue),
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages);
  };
  const metric = async (app: NestFastifyApplication, stage: string) => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    return Number(
      new RegExp(`ingest_messages_total\\{stage="${stage}"\\} (\\d+)`).exec(text)?.[1] ?? NaN,
    );
  };
  const putRaw = async (queue: string, body: unknown) =>
    aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: await aws.queueUrl(queue),
        MessageBody: JSON.stringify(body),
      }),
    );
  const envelope = (id: string, payload: Record<string, unknown>) => ({
    id,
    payload,
    acceptedAt: new Date().toISOString(),
  });
  const payloadOf = (i: number) => ({
    i,
    text: `message ${i} ✓`,
    nested: { list: [i, { deep: [true, null] }], f: i / 7 },
  });
  const hundred = (prefix: string) =>
    Array.from({ length: 100 }, (_, i) => ({
      id: `${prefix}-${i}`,
      payload: payloadOf(i),
      source: 'packs',
    }));

  it('sends a 100-message POST as one SQS message, and the consumers store all 100 intact', async () => {
    const names = ingestNames('packs');
    const api = await boot({ ...names, APP_ROLE: 'api' });
    const messages = hundred('p');
    const res = await post(api, messages);
    expect(res.statusCode).toBe(202);
    expect(res.json().messages.map((m: { id: string }) => m.id)).toEqual(messages.map((m) => m.id));
    expect(await depth(names.INGEST_QUEUE_NAME)).toBe(1);

    const worker = await boot({ ...names, ...FAST_CONSUMER });
    const storedBefore = await metric(worker, 'stored');
    await waitFor('100 items', async () => (await aws.count(names.INGEST_TABLE_NAME)) >= 100);
    const items = await aws.scan(names.INGEST_TABLE_NAME);
    expect(items).toHaveLength(100);
    const sent = new Map(messages.map((m) => [m.id, m.payload]));
    for (const item of items)
      expect(item).toMatchObject({
        payload: sent.get(item.id as string),
        source: 'packs',
        receiveCount: 1,
      });
    // The metric counts ingest messages, not SQS messages.
    await waitFor(
      'stored metric',
      async () => (await metric(worker, 'stored')) === storedBefore + 100,
    );
  });

  it('sends one SQS message per ingest message, in the single-envelope format, with INGEST_PACK_MAX_MESSAGES=1', async () => {
    const names = ingestNames('nopack');
    const api = await boot({ ...names, APP_ROLE: 'api', INGEST_PACK_MAX_MESSAGES: '1' });
    expect((await post(api, hundred('s'))).statusCode).toBe(202);
    expect(await depth(names.INGEST_QUEUE_NAME)).toBe(100);
    const out = await aws.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: await aws.queueUrl(names.INGEST_QUEUE_NAME),
        MaxNumberOfMessages: 1,
      }),
    );
    expect(JSON.parse(out.Messages![0].Body!)).toEqual({
      id: expect.stringMatching(/^s-\d+$/),
      payload: expect.any(Object),
      source: 'packs',
      acceptedAt: expect.any(String),
    });
  });

  describe('a bad pack-mate', () => {
    const maxReceiveCount = 3;
    let names: Record<string, string>;
    let app: NestFastifyApplication;
    beforeEach(async () => {
      names = ingestNames('badmate');
      app = await boot({
        ...names,
        ...FAST_CONSUMER,
        INGEST_MAX_RECEIVE_COUNT: String(maxReceiveCount),
      });
    });
    const deadLetter = (id: string) =>
      waitFor(`the pack with ${id} in the DLQ`, async () => {
        const res = await app.inject({
          method: 'GET',
          url: '/v1/ingest/dead-letters?limit=10',
          headers: auth,
        });
        const listed = res.json().messages as Array<{ id?: string; ids: string[]; body: string }>;
        return listed.find((m) => m.body.includes(`"${id}"`));
      });

    it('that DynamoDB refuses takes its pack to the DLQ; the others are stored once, then seen as duplicates', async () => {
      const [duplicatesBefore, failedBefore] = [
        await metric(app, 'duplicate'),
        await metric(app, 'failed'),
      ];
      // DynamoDB refuses numbers below 1e-130 (Number underflow).
      const pack = [
        envelope('good-1', { a: 1 }),
        envelope('refused-1', { n: 1e-200 }),
        envelope('good-2', { b: [2] }),
      ];
      await putRaw(names.INGEST_QUEUE_NAME, { v: 1, messages: pack });
      const listed = await deadLetter('refused-1');
      expect(listed).toMatchObject({ id: 'good-1', ids: ['good-1', 'refused-1', 'good-2'] });
      const items = await aws.scan(names.INGEST_TABLE_NAME);
      expect(items.map((i) => i.id).sort()).toEqual(['good-1', 'good-2']);
      // Written on the first receive and never again: every later receive found them stored.
      for (const item of items) expect(item.receiveCount).toBe(1);
      // Each receive fails all 3 (the pack goes back whole); each after the first finds the 2 good ones stored.
      const receives = ((await metric(app, 'failed')) - failedBefore) / 3;
      expect(receives).toBeGreaterThanOrEqual(2);
      expect(await metric(app, 'duplicate')).toBe(duplicatesBefore + 2 * (receives - 1));
    });

    it('that is not a valid envelope makes the whole pack poison: nothing of it is stored', async () => {
      const failedBefore = await metric(app, 'failed');
      const fine = Array.from({ length: 9 }, (_, i) => envelope(`fine-${i}`, { i }));
      await putRaw(names.INGEST_QUEUE_NAME, {
        v: 1,
        messages: [...fine, envelope('bad id', { a: 2 })],
      });
      const listed = await deadLetter('fine-0');
      expect(listed).toMatchObject({ ids: [] });
      expect(listed!.id).toBeUndefined();
      expect(await aws.scan(names.INGEST_TABLE_NAME)).toEqual([]);
      // One per receive of the poison SQS message (10 per receive if its envelopes were counted).
      const failed = (await metric(app, 'failed')) - failedBefore;
      expect(failed).toBeGreaterThanOrEqual(1);
      expect(failed).toBeLessThanOrEqual(maxReceiveCount);
    });
  });

  it('redrives a pack by hand, reporting every id in it', async () => {
    const names = ingestNames('packredrive');
    const api = await boot({ ...names, APP_ROLE: 'api' });
    await putRaw(names.INGEST_DLQ_NAME, {
      v: 1,
      messages: [envelope('r-1', {}), envelope('r-2', {})],
    });
    await putRaw(names.INGEST_DLQ_NAME, envelope('r-3', {}));
    const res = await api.inject({
      method: 'POST',
      url: '/v1/ingest/dead-letters/redrive',
      headers: auth,
      payload: { method: 'manual' },
    });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ method: 'manual', count: 2 });
    expect([...res.json().ids].sort()).toEqual(['r-1', 'r-2', 'r-3']);
  });
});
