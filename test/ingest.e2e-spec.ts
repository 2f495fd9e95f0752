import type { Message } from '@aws-sdk/client-sqs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IngestProcessor } from '../src/ingest/ingest.processor';
import { auth, bootApp } from './support/app';
import {
  directClients,
  FAST_CONSUMER,
  ingestNames,
  LOADED_EMULATOR,
  waitFor,
} from './support/ingest';

jest.setTimeout(30_000);

describe('ingest: SQS → DynamoDB (role all)', () => {
  const names = ingestNames('ingest');
  const aws = directClients();
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await bootApp({ ...names, ...FAST_CONSUMER, ...LOADED_EMULATOR });
  });
  afterAll(async () => {
    await app.close();
    aws.destroy();
  });

  const post = (payload: unknown, url = '/v1/ingest/messages') =>
    app.inject({
      method: 'POST',
      url,
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify(payload),
    });
  const getItem = (id: string) =>
    app.inject({
      method: 'GET',
      url: `/v1/ingest/messages/${encodeURIComponent(id)}`,
      headers: auth,
    });
  const stored = (id: string) =>
    waitFor(`item ${id}`, async () =>
      (await getItem(id)).statusCode === 200 ? getItem(id) : undefined,
    );

  it('stores 1000 accepted messages as exactly 1000 items with their payloads intact', async () => {
    const sent = new Map<string, Record<string, unknown>>();
    const payloadOf = (n: number) => ({
      n,
      text: `message ${n} ✓`,
      nested: { list: [n, 'x', { deep: [true, null] }], empty: {}, float: n / 7 },
      flag: n % 2 === 0,
      nothing: null,
    });
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, r) =>
        post({
          messages: Array.from({ length: 100 }, (_, i) => ({
            payload: payloadOf(r * 100 + i),
            source: 'e2e',
          })),
        }),
      ),
    );
    responses.forEach((res, r) => {
      expect(res.statusCode).toBe(202);
      const ids = res.json().messages as Array<{ id: string; status: string }>;
      expect(ids).toHaveLength(100);
      ids.forEach((m, i) => {
        expect(m.status).toBe('queued');
        sent.set(m.id, payloadOf(r * 100 + i));
      });
    });
    expect(sent.size).toBe(1000);
    await waitFor(
      '1000 items',
      async () => (await aws.count(names.INGEST_TABLE_NAME)) >= 1000,
      30_000,
      250,
    );
    const items = await aws.scan(names.INGEST_TABLE_NAME);
    expect(items).toHaveLength(1000);
    for (const item of items) {
      expect(item.payload).toEqual(sent.get(item.id as string));
      expect(item).toMatchObject({ source: 'e2e', receiveCount: expect.any(Number) });
    }
    const one = await getItem(items[0].id as string);
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({
      id: items[0].id,
      payload: sent.get(items[0].id as string),
      acceptedAt: expect.any(String),
      storedAt: expect.any(String),
    });
  });

  it('keeps one item when the same id is posted twice (the newer acceptance wins)', async () => {
    expect((await post({ messages: [{ id: 'dup-1', payload: { v: 1 } }] })).statusCode).toBe(202);
    await stored('dup-1');
    expect((await post({ messages: [{ id: 'dup-1', payload: { v: 2 } }] })).statusCode).toBe(202);
    await waitFor('second version', async () => (await getItem('dup-1')).json().payload?.v === 2);
    const items = (await aws.scan(names.INGEST_TABLE_NAME)).filter((i) => i.id === 'dup-1');
    expect(items).toHaveLength(1);
  });

  it('keeps one item when the same SQS message is processed twice', async () => {
    const processor = app.get(IngestProcessor);
    const envelope = {
      id: 'redelivered-1',
      payload: { a: 1 },
      acceptedAt: new Date().toISOString(),
    };
    const message: Message = {
      MessageId: 'm-1',
      ReceiptHandle: 'not-a-real-handle',
      Body: JSON.stringify(envelope),
    };
    const metric = async () => {
      const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      return Number(/ingest_messages_total\{stage="duplicate"\} (\d+)/.exec(text)?.[1] ?? NaN);
    };
    const before = await metric();
    await processor.process([message]);
    await processor.process([message, { ...message, MessageId: 'm-2' }]);
    expect(await metric()).toBe(before + 2);
    const items = (await aws.scan(names.INGEST_TABLE_NAME)).filter((i) => i.id === 'redelivered-1');
    expect(items).toHaveLength(1);
    expect(items[0].payload).toEqual({ a: 1 });
  });

  it.each([
    ['an empty list', { messages: [] }, 'messages'],
    [
      '101 messages',
      { messages: Array.from({ length: 101 }, () => ({ payload: {} })) },
      'messages',
    ],
    ['a payload that is an array', { messages: [{ payload: [1] }] }, 'messages.0.payload'],
    [
      'a payload that is a string',
      { messages: [{ payload: {} }, { payload: 'x' }] },
      'messages.1.payload',
    ],
    ['a bad id', { messages: [{ payload: {}, id: 'has space' }] }, 'messages.0.id'],
    ['an id too long', { messages: [{ payload: {}, id: 'x'.repeat(129) }] }, 'messages.0.id'],
    ['an unknown field', { messages: [{ payload: {}, extra: 1 }] }, 'messages.0.extra'],
    [
      'an oversized message',
      { messages: [{ payload: {} }, { payload: { blob: 'x'.repeat(256 * 1024) } }] },
      'messages.1',
    ],
    [
      'a number DynamoDB cannot hold',
      { messages: [{ payload: { order: { total: 1e200 } } }] },
      'messages.0.payload.order.total',
    ],
    [
      'a number too small for DynamoDB',
      { messages: [{ payload: {} }, { payload: { x: [1e-200] } }] },
      'messages.1.payload.x.0',
    ],
    [
      'a payload nested too deep',
      { messages: [{ payload: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) }] },
      'messages.0.payload.' + Array.from({ length: 31 }, () => 'a').join('.'),
    ],
    // Characters SQS refuses (JSON.stringify leaves U+FFFE/U+FFFF as they are) or that are not
    // Unicode text (lone surrogates): a 400, not a 503 that no retry could fix.
    [
      'U+FFFE in a payload value',
      { messages: [{ payload: { note: 'a\uFFFEb' } }] },
      'messages.0.payload.note',
    ],
    [
      'U+FFFF in a payload key',
      { messages: [{ payload: {} }, { payload: { a: { ['k\uFFFF']: 1 } } }] },
      'messages.1.payload.a.k\\uffff',
    ],
    [
      'a lone surrogate in a payload',
      { messages: [{ payload: { l: ['ok', '\uD800'] } }] },
      'messages.0.payload.l.1',
    ],
    [
      'U+FFFF in the source',
      { messages: [{ payload: {}, source: 'web\uFFFF' }] },
      'messages.0.source',
    ],
    ['U+FFFE in an id', { messages: [{ payload: {}, id: 'id-\uFFFE' }] }, 'messages.0.id'],
    [
      'a lone surrogate in an id',
      { messages: [{ payload: {}, id: 'id-\uDC00' }] },
      'messages.0.id',
    ],
  ])('answers 400 naming the field for %s', async (_what, body, field) => {
    const res = await post(body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(res.json().errors.map((e: { field: string }) => e.field)).toContain(field);
  });

  it('answers 400 for an id with a character SQS refuses in the path, and takes every character SQS allows', async () => {
    const bad = await getItem('\uFFFF');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('id');
    const bad2 = await post({ messages: [{ payload: { x: '\uFFFF' } }] }, '/process_message');
    expect(bad2.statusCode).toBe(400);
    const payload = { text: 'tab\t nl\n \u0001 \uD7FF \uE000 \uFFFD 😀 \u{10FFFF}' };
    expect((await post({ messages: [{ id: 'all-chars', payload }] })).statusCode).toBe(202);
    expect((await stored('all-chars'))?.json().payload).toEqual(payload);
  });

  it('stores numbers beyond 2^53 and reads them back as JSON numbers', async () => {
    const payload = { big: 1e20, huge: 1.5e125, small: 1e-129, exact: 2 ** 53 + 2 };
    expect((await post({ messages: [{ id: 'big-numbers', payload }] })).statusCode).toBe(202);
    expect((await stored('big-numbers'))?.json().payload).toEqual(payload);
  });

  it('stores payload keys named like Object.prototype members, on every path', async () => {
    const payload = { toString: 'x', nested: { hasOwnProperty: [1], valueOf: 2 } };
    expect((await post({ messages: [{ id: 'proto-keys', payload }] })).statusCode).toBe(202);
    expect((await stored('proto-keys'))?.json().payload).toEqual(payload);
    // `id: null` is off the hand-checked shape: SendMessagesDto validates it (and a UUID is made).
    const viaDto = await post({ messages: [{ id: null, payload }] });
    expect(viaDto.statusCode).toBe(202);
    expect((await stored(viaDto.json().messages[0].id))?.json().payload).toEqual(payload);
    // The validation pipe deletes `constructor` keys (prototype pollution); compat keeps them,
    // and DynamoDB stores such an object as the map it is (the SDK took it for a class instance).
    const withCtor = { constructor: { a: 1 }, n: 1 };
    const v1 = await post({ messages: [{ id: 'ctor-key', payload: withCtor }] });
    expect(v1.statusCode).toBe(202);
    expect((await stored('ctor-key'))?.json().payload).toEqual({ n: 1 });
    const compat = await post(withCtor, '/process_message');
    expect(compat.statusCode).toBe(200);
    expect((await stored(compat.json().id))?.json().payload).toEqual(withCtor);
  });

  it('answers 400 for a payload nested thousands of levels deep (class-transformer overflowed: 500)', async () => {
    const deep = (n: number) => '{"d":'.repeat(n) + '1' + '}'.repeat(n);
    for (const body of [
      `{"messages":[{"payload":${deep(40)}}]}`,
      `{"messages":[{"payload":${deep(20_000)}}]}`,
      `{"messages":[{"payload":{},"extra":${deep(20_000)}}]}`,
    ]) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/ingest/messages',
        headers: { ...auth, 'content-type': 'application/json' },
        payload: body,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('VALIDATION_FAILED');
    }
  });

  it('stores a message sent with id and source null as one without them', async () => {
    const res = await post({ messages: [{ id: null, source: null, payload: { n: 'nulls' } }] });
    expect(res.statusCode).toBe(202);
    const item = (await stored(res.json().messages[0].id))!.json();
    expect(item.payload).toEqual({ n: 'nulls' });
    expect(item.source).toBeUndefined();
  });

  it('answers 404 for an id not stored and 400 for a malformed id', async () => {
    expect((await getItem('never-sent')).statusCode).toBe(404);
    const bad = await getItem('bad id!');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].field).toBe('id');
  });

  it('keeps POST /process_message clients working (compat), deprecated in the OpenAPI document', async () => {
    const res = await post({ hello: 'world', n: [1, 2] }, '/process_message');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toEqual({
      status: 'success',
      data: { hello: 'world', n: [1, 2] },
      id: expect.any(String),
    });
    expect((await stored(body.id))!.json()).toMatchObject({
      payload: { hello: 'world', n: [1, 2] },
      source: 'process_message',
    });
    expect((await post([1, 2], '/process_message')).statusCode).toBe(400);
    const doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    expect(doc.paths['/process_message'].post.deprecated).toBe(true);
    expect(doc.paths['/v1/ingest/messages'].post.deprecated).toBeUndefined();
  });

  it('exports the ingest metrics, queue depth included', async () => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const stage of ['accepted', 'stored', 'duplicate', 'failed']) {
      expect(text).toMatch(new RegExp(`ingest_messages_total\\{stage="${stage}"\\} \\d+`));
    }
    expect(text).toMatch(/ingest_messages_total\{stage="stored"\} (\d{4,})/);
    expect(text).toMatch(/ingest_batch_duration_seconds_count \d+/);
    expect(text).toMatch(/ingest_queue_messages\{queue="main"\} \d+/);
    expect(text).toMatch(/ingest_queue_messages\{queue="dlq"\} \d+/);
  });
});
