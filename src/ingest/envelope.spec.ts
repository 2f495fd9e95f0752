import { parseEnvelope, serializeEnvelope } from './envelope';

describe('envelope', () => {
  const e = { id: 'order-1', source: 'shop', payload: { a: [1, { b: null }] }, acceptedAt: '2026-01-01T00:00:00.000Z' };

  it('round-trips', () => {
    expect(parseEnvelope(serializeEnvelope(e))).toEqual(e);
    const { source: _s, ...noSource } = e;
    expect(parseEnvelope(serializeEnvelope(noSource))).toEqual(noSource);
  });

  it.each([
    ['not JSON', '{nope'],
    ['a JSON array', '[1]'],
    ['no id', JSON.stringify({ ...e, id: undefined })],
    ['a bad id', JSON.stringify({ ...e, id: 'a b' })],
    ['a payload that is not an object', JSON.stringify({ ...e, payload: [1] })],
    ['a bad acceptedAt', JSON.stringify({ ...e, acceptedAt: 'yesterday' })],
    ['a non-string source', JSON.stringify({ ...e, source: 3 })],
    ['no body', undefined],
  ])('refuses %s as poison', (_what, body) => {
    expect(parseEnvelope(body)).toBeUndefined();
  });
});
