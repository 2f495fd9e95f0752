import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import { startHttpFaultProxy } from './support/http-fault-proxy';
import { directClients, FAST_CONSUMER, ingestNames, waitFor } from './support/ingest';

jest.setTimeout(30_000);

describe('ingest: poison messages, dead letters and redrive', () => {
  const aws = directClients();
  let app: NestFastifyApplication | undefined;
  let names: Record<string, string>;
  beforeEach(() => {
    names = { ...ingestNames('dlq'), INGEST_MAX_RECEIVE_COUNT: '3' };
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(() => aws.destroy());

  const deadLetters = async () => {
    const res = await app!.inject({
      method: 'GET',
      url: '/v1/ingest/dead-letters?limit=10',
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    return res.json() as { count: number; messages: Array<{ body: string; receiveCount: number }> };
  };
  const redrive = (body: Record<string, unknown>) =>
    app!.inject({
      method: 'POST',
      url: '/v1/ingest/dead-letters/redrive',
      headers: auth,
      payload: body,
    });
  /** Receives from the main queue directly (no consumer runs then) until `body` shows up. */
  const inMainQueue = (body: string) =>
    waitFor(`"${body}" back in the main queue`, async () => {
      const out = await aws.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: await aws.queueUrl(names.INGEST_QUEUE_NAME),
          MaxNumberOfMessages: 1,
          VisibilityTimeout: 30,
        }),
      );
      return out.Messages?.some((m) => m.Body === body);
    });

  it('moves a non-JSON message to the DLQ after maxReceiveCount, lists it without consuming it, and redrives it', async () => {
    app = await bootApp({ ...names, ...FAST_CONSUMER });
    const poison = 'this is {not json';
    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: await aws.queueUrl(names.INGEST_QUEUE_NAME),
        MessageBody: poison,
      }),
    );
    const listed = await waitFor('the poison message in the DLQ', async () => {
      const dl = await deadLetters();
      return dl.messages.find((m) => m.body === poison);
    });
    expect(listed!.receiveCount).toBeGreaterThanOrEqual(1);
    // Listing peeks: the message is still there for the next listing.
    expect((await deadLetters()).messages.filter((m) => m.body === poison)).toHaveLength(1);
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(
      Number(/ingest_messages_total\{stage="failed"\} (\d+)/.exec(metrics)?.[1]),
    ).toBeGreaterThanOrEqual(1);
    expect(await aws.scan(names.INGEST_TABLE_NAME)).toEqual([]);

    // Stop the consumer (an api-only app) so the redriven message stays visible in the main queue.
    await app.close();
    app = await bootApp({ ...names, APP_ROLE: 'api' });
    const res = await redrive({});
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({
      method: 'move-task',
      count: 1,
      taskHandle: expect.any(String),
    });
    await inMainQueue(poison);
    expect((await deadLetters()).count).toBe(0);
  });

  it('redrives by receive/send/delete when asked (method manual), reporting our ids', async () => {
    app = await bootApp({ ...names, APP_ROLE: 'api' });
    const envelope = JSON.stringify({
      id: 'manual-1',
      payload: { x: 1 },
      acceptedAt: new Date().toISOString(),
    });
    await aws.sqs.send(
      new SendMessageCommand({
        QueueUrl: await aws.queueUrl(names.INGEST_DLQ_NAME),
        MessageBody: envelope,
      }),
    );
    const res = await redrive({ method: 'manual' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ method: 'manual', count: 1, ids: ['manual-1'] });
    await inMainQueue(envelope);
    expect((await deadLetters()).count).toBe(0);
  });

  it.each([
    [500, 'InternalError'],
    [400, 'UnsupportedOperation'],
  ])(
    'auto falls back to the manual move when StartMessageMoveTask answers %i %s, and says so',
    async (status, type) => {
      const sqs = await startHttpFaultProxy(
        process.env.AWS_ENDPOINT_URL_SQS!,
        (_body, req) => req.headers['x-amz-target'] === 'AmazonSQS.StartMessageMoveTask',
        {
          status,
          body: JSON.stringify({ __type: `com.amazonaws.sqs#${type}`, message: 'injected' }),
        },
      );
      try {
        app = await bootApp({ ...names, APP_ROLE: 'api', AWS_ENDPOINT_URL_SQS: sqs.url });
        const envelope = JSON.stringify({
          id: `fallback-${status}`,
          payload: { x: 1 },
          acceptedAt: new Date().toISOString(),
        });
        await aws.sqs.send(
          new SendMessageCommand({
            QueueUrl: await aws.queueUrl(names.INGEST_DLQ_NAME),
            MessageBody: envelope,
          }),
        );
        const res = await redrive({ method: 'auto' });
        expect(res.statusCode).toBe(202);
        expect(res.json()).toEqual({
          method: 'manual',
          count: 1,
          ids: [`fallback-${status}`],
          fallbackReason: expect.stringMatching(
            new RegExp(`StartMessageMoveTask failed \\(${type}`),
          ),
        });
        expect(sqs.injected).toBeGreaterThanOrEqual(1);
        await inMainQueue(envelope);
      } finally {
        await app?.close();
        app = undefined;
        await sqs.close();
      }
    },
  );

  it('answers 400 for a bad limit or method, and takes a redrive without a body', async () => {
    app = await bootApp({ ...names, APP_ROLE: 'api' });
    const bad = await app.inject({
      method: 'GET',
      url: '/v1/ingest/dead-letters?limit=0',
      headers: auth,
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('limit');
    const badMethod = await redrive({ method: 'teleport' });
    expect(badMethod.statusCode).toBe(400);
    expect(badMethod.json().errors[0].field).toBe('method');
    // No body at all: the defaults apply (an empty DLQ moves nothing).
    const noBody = await app.inject({
      method: 'POST',
      url: '/v1/ingest/dead-letters/redrive',
      headers: auth,
    });
    expect(noBody.statusCode).toBe(202);
    expect(noBody.json().count).toBe(0);
  });
});
