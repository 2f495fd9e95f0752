import { parseMessages, serializeEnvelope, serializePack } from './envelope';

describe('envelope', () => {
  const e = {
    id: 'order-1',
    source: 'shop',
    payload: { a: [1, { b: null }] },
    acceptedAt: '2026-01-01T00:00:00.000Z',
  };
  const { source: _s, ...noSource } = e;
  const invalid: Array<[string, Record<string, unknown>]> = [
    ['no id', { ...e, id: undefined }],
    ['a bad id', { ...e, id: 'a b' }],
    ['a payload that is not an object', { ...e, payload: [1] }],
    ['a bad acceptedAt', { ...e, acceptedAt: 'yesterday' }],
    ['a non-string source', { ...e, source: 3 }],
  ];

  it('reads a single-envelope body (the format before packs) as one envelope', () => {
    expect(parseMessages(serializeEnvelope(e))).toEqual([e]);
    expect(parseMessages(serializeEnvelope(noSource))).toEqual([noSource]);
  });

  it('round-trips a pack, in order', () => {
    const pack = [e, noSource, { ...e, id: 'order-2', payload: {} }];
    const body = serializePack(pack);
    expect(JSON.parse(body)).toEqual({ v: 1, messages: pack });
    expect(parseMessages(body)).toEqual(pack);
  });

  it.each([
    ['not JSON', '{nope'],
    ['a JSON array', '[1]'],
    ['no body', undefined],
    ...invalid.map(([what, v]): [string, string] => [
      `an envelope with ${what}`,
      JSON.stringify(v),
    ]),
    ['a pack of another version', JSON.stringify({ v: 2, messages: [e] })],
    ['a pack without messages', JSON.stringify({ v: 1 })],
    ['an empty pack', JSON.stringify({ v: 1, messages: [] })],
  ])('refuses %s as poison', (_what, body) => {
    expect(parseMessages(body)).toBeUndefined();
  });

  it.each(invalid)('refuses a whole pack when one envelope has %s', (_what, bad) => {
    const body = JSON.stringify({ v: 1, messages: [e, bad, { ...e, id: 'order-2' }] });
    expect(parseMessages(body)).toBeUndefined();
  });
});
