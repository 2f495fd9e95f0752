import { findUnstorable, MAX_PAYLOAD_DEPTH } from './dynamo-limits';

const nest = (levels: number): Record<string, unknown> => {
  let v: Record<string, unknown> = { leaf: 1 };
  for (let i = 1; i < levels; i++) v = { a: v };
  return v;
};

describe('findUnstorable', () => {
  it('accepts what DynamoDB stores', () => {
    expect(
      findUnstorable({
        a: 0,
        b: -1.5,
        c: 1e125,
        d: 1e-130,
        e: 2 ** 60,
        s: 'x',
        t: true,
        n: null,
        l: [1, { x: 2 }],
      }),
    ).toBeUndefined();
    expect(findUnstorable(nest(MAX_PAYLOAD_DEPTH))).toBeUndefined();
  });

  it.each([
    [{ n: 1e126 }, 'n'],
    [{ n: -1e200 }, 'n'],
    [{ items: [{ price: 1e-131 }] }, 'items.0.price'],
  ])('names a number out of range: %j', (payload, path) => {
    expect(findUnstorable(payload)).toEqual({
      path,
      reason: expect.stringMatching(/outside DynamoDB's range/),
    });
  });

  it('names the first level past the depth limit', () => {
    const found = findUnstorable(nest(MAX_PAYLOAD_DEPTH + 1));
    expect(found?.reason).toMatch(/nested deeper than 31 levels/);
    expect(found?.path).toBe(Array.from({ length: MAX_PAYLOAD_DEPTH }, () => 'a').join('.'));
  });
});
