import { BadRequestException, type ArgumentMetadata } from '@nestjs/common';
import fc from 'fast-check';
import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { validationPipe } from '../common/errors/validation';
import { MAX_MESSAGES_PER_REQUEST, SendMessagesDto } from './dto/send-messages.dto';
import { MESSAGE_ID } from './envelope';
import { SendMessagesPipe } from './send-messages.pipe';

const meta: ArgumentMetadata = { type: 'body', metatype: Object };

const outcome = async (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    (v) => ({ ok: v }),
    (e: unknown) => {
      expect(e).toBeInstanceOf(BadRequestException);
      return { error: (e as BadRequestException).getResponse() };
    },
  );

const dtoAccepts = (body: unknown) =>
  validateSync(plainToInstance(SendMessagesDto, body), {
    whitelist: true,
    forbidNonWhitelisted: true,
  }).length === 0;

const messages = (n: number) => Array.from({ length: n }, (_, i) => ({ payload: { i } }));

/** Bodies off the common shape, named for the test title (a long one by its length). */
const refused: unknown[] = [
  { messages: [] },
  { messages: messages(MAX_MESSAGES_PER_REQUEST + 1) },
  { messages: [{ payload: { a: 1 } }], extra: 1 },
  { messages: [{ payload: { a: 1 }, extra: 1 }] },
  { messages: [{ payload: [] }] },
  { messages: [{ payload: null }] },
  { messages: [{ payload: 'x' }] },
  { messages: [{}] },
  { messages: [{ payload: {} }, { payload: {}, id: 'bad id' }, { payload: {}, id: 5 }] },
  { messages: [{ payload: {}, id: 'x'.repeat(129) }] },
  { messages: [{ payload: {}, source: '' }] },
  { messages: [{ payload: {}, source: 's'.repeat(129) }] },
  { messages: [{ payload: {}, source: 7 }] },
  { messages: [1, null, [], 'x'] },
  { messages: { payload: {} } },
  {},
  undefined,
  null,
  [{ payload: {} }],
  'x',
];
const titled = refused.map((body): [string, unknown] => {
  const json = JSON.stringify(body) ?? 'undefined';
  return [json.length > 120 ? `${json.slice(0, 100)}… (${json.length} chars)` : json, body];
});

describe('SendMessagesPipe', () => {
  const pipe = new SendMessagesPipe();
  const standard = validationPipe();
  const viaDto = (body: unknown) =>
    outcome(standard.transform(body, { type: 'body', metatype: SendMessagesDto }));

  it('passes a body in the common shape through as it is (the hand-checked path)', async () => {
    for (const body of [
      { messages: [{ payload: { a: 1 } }] },
      { messages: [{ payload: { a: [1, { b: null }] }, id: 'order-42', source: 'checkout' }] },
      { messages: [{ payload: {}, id: 'x'.repeat(128), source: 's'.repeat(128) }] },
      { messages: messages(MAX_MESSAGES_PER_REQUEST) },
    ])
      await expect(pipe.transform(body, meta)).resolves.toBe(body);
  });

  it.each(titled)('answers %s with the standard pipe’s error, unchanged', async (_, body) => {
    const ours = await outcome(pipe.transform(body, meta));
    expect(ours).toHaveProperty('error');
    expect(ours).toEqual(await viaDto(body));
  });

  it('lets the DTO decide what the hand check is unsure of (id or source null)', async () => {
    for (const body of [
      { messages: [{ payload: { a: 1 }, id: null }] },
      { messages: [{ payload: { a: 1 }, source: null }] },
    ]) {
      const ours = await outcome(pipe.transform(body, meta));
      expect(await viaDto(body)).toHaveProperty('ok');
      // Accepted as the DTO accepts it, `null` meaning absent.
      expect(ours).toEqual({ ok: { messages: [{ payload: { a: 1 } }] } });
      expect((ours as { ok: unknown }).ok).not.toBe(body);
    }
  });

  it('hands the service the client’s own payloads, also through the DTO', async () => {
    // class-transformer's copy drops keys named like Object.prototype members.
    const payload = { toString: 'x', valueOf: 1, nested: { hasOwnProperty: [1] } };
    const common = { messages: [{ payload }] };
    const viaFallback = { messages: [{ payload, id: null }] };
    const a = (await pipe.transform(common, meta)).messages[0];
    const b = (await pipe.transform(viaFallback, meta)).messages[0];
    expect(a.payload).toBe(payload);
    expect(b.payload).toBe(payload);
    expect(b.payload).toEqual({ toString: 'x', valueOf: 1, nested: { hasOwnProperty: [1] } });
    expect(Object.getPrototypeOf(b)).toBe(Object.prototype);
  });

  it.each([
    { constructor: { a: 1 }, n: 1 },
    { n: { list: [{ prototype: 1 }] } },
    JSON.parse('{"a":{"__proto__":{"x":1}}}') as object,
  ])(
    'leaves a payload with a prototype key (%j) to the standard pipe, which strips it',
    async (p) => {
      const ours = await pipe.transform({ messages: [{ payload: structuredClone(p) }] }, meta);
      const theirs = await viaDto({ messages: [{ payload: structuredClone(p) }] });
      expect({ ok: ours }).toEqual(theirs);
      expect(JSON.stringify(ours)).not.toMatch(/constructor|prototype|__proto__/);
    },
  );

  it('leaves a payload nested deeper than DynamoDB stores to the standard pipe', async () => {
    let payload: Record<string, unknown> = {};
    for (let i = 0; i < 40; i++) payload = { d: payload };
    const body = { messages: [{ payload }] };
    const out = await pipe.transform(body, meta);
    expect(out).not.toBe(body); // the service then answers 400 naming the field
    expect(out.messages[0].payload).toBe(payload);
  });

  it('the hand check never accepts what SendMessagesDto refuses', async () => {
    // Mostly near the common shape (so the hand check often says yes), with every edge case.
    const text = (max: number) => fc.string({ unit: 'binary', maxLength: max });
    const key = fc.oneof(
      { arbitrary: fc.string(), weight: 4 },
      fc.constantFrom('constructor', 'prototype', '__proto__', 'toString', 'valueOf'),
    );
    const id = fc.oneof(
      { arbitrary: fc.stringMatching(MESSAGE_ID), weight: 4 },
      text(140),
      fc.constantFrom('a', 'order-42', 'a.b_c:d-e', 'x'.repeat(128), 'x'.repeat(129), 'a b', ''),
      fc.constantFrom(null, 0, 1, true, [], {}, ['a']),
    );
    const source = fc.oneof(
      { arbitrary: fc.string({ minLength: 1, maxLength: 128 }), weight: 3 },
      text(140),
      fc.constantFrom('', 'a', 's'.repeat(128), 's'.repeat(129), '\uD83D\uDE00'.repeat(64)),
      fc.constantFrom('\uD83D\uDE00'.repeat(65), 'a\uFE0F'.repeat(100), '\uFE0F', null, 1, []),
    );
    const payload = fc.oneof(
      { arbitrary: fc.dictionary(key, fc.jsonValue(), { maxKeys: 3 }), weight: 4 },
      fc.dictionary(key, fc.dictionary(key, fc.jsonValue(), { maxKeys: 2 }), { maxKeys: 2 }),
      fc.constantFrom(null, [], [1], 'x', 0, true, {}),
      fc.jsonValue(),
    );
    /** The value, or (weight `absent`) no such key at all. */
    const maybe = <T>(arb: fc.Arbitrary<T>, present: number, absent: number) =>
      fc.oneof(
        { arbitrary: arb, weight: present },
        { arbitrary: fc.constant(undefined), weight: absent },
      );
    const object = (fields: Record<string, fc.Arbitrary<unknown>>) =>
      fc
        .record(fields)
        .map((r) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)));
    const message = fc.oneof(
      {
        arbitrary: object({
          payload: maybe(payload, 9, 1),
          id: maybe(id, 1, 1),
          source: maybe(source, 1, 1),
          extra: maybe(fc.jsonValue(), 1, 9),
        }),
        weight: 9,
      },
      fc.constantFrom(null, 1, 'x', []),
    );
    const body = fc.oneof(
      {
        arbitrary: object({
          messages: fc.oneof(
            { arbitrary: fc.array(message, { maxLength: 4 }), weight: 8 },
            fc.constantFrom([], null, {}, 'x'),
            fc.integer({ min: 99, max: 102 }).map((n) => messages(n)),
          ),
          extra: maybe(fc.jsonValue(), 1, 9),
        }),
        weight: 9,
      },
      fc.jsonValue(),
    );
    let handChecked = 0;
    const runs = 2000;
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const accepted = await pipe.transform(b, meta).then(
          (v) => (v as unknown) === b, // the hand-checked path returns the body itself
          () => false,
        );
        if (!accepted) return;
        handChecked++;
        expect(dtoAccepts(b)).toBe(true);
      }),
      { numRuns: runs },
    );
    // Not vacuous: a good share of the bodies took the hand-checked path.
    expect(handChecked).toBeGreaterThan(runs / 20); // ~12 % measured
  });

  it('the hand check accepts the common shape it is meant for', async () => {
    const message = fc.record(
      {
        // Keys the standard pipe strips (fast-check likes to generate them) take the other path.
        payload: fc
          .dictionary(fc.string(), fc.jsonValue(), { maxKeys: 3 })
          .filter((p) => !/"(__proto__|prototype|constructor)":/.test(JSON.stringify(p))),
        id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,128}$/),
        source: fc.string({ minLength: 1, maxLength: 128 }),
      },
      { requiredKeys: ['payload'] },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 5 }), async (msgs) => {
        const b = { messages: msgs };
        await expect(pipe.transform(b, meta)).resolves.toBe(b);
      }),
    );
  });
});
