import { BadRequestException } from '@nestjs/common';
import { checkBy, checkIdempotencyKey, checkName, MAX_BY } from './counter.rules';

const fieldOf = (fn: () => void): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    expect(e).toBeInstanceOf(BadRequestException);
    return ((e as BadRequestException).getResponse() as { errors: { field: string }[] }).errors[0]
      .field;
  }
};

describe('counter input rules', () => {
  it.each(['a', '0', 'page-views', 'a.b_c-d', 'x'.repeat(64)])('accepts the name %s', (name) => {
    expect(fieldOf(() => checkName(name))).toBeUndefined();
  });

  it.each(['', 'A', '-a', '_a', '.a', 'a b', 'a/b', 'é', 'x'.repeat(65), 5, undefined])(
    'rejects the name %p',
    (name) => {
      expect(fieldOf(() => checkName(name))).toBe('name');
    },
  );

  it.each([0, 1, -1, MAX_BY, -MAX_BY])('accepts by = %p', (by) => {
    expect(fieldOf(() => checkBy(by))).toBeUndefined();
  });

  it.each([0.5, MAX_BY + 1, -MAX_BY - 1, NaN, Infinity, '1', null])('rejects by = %p', (by) => {
    expect(fieldOf(() => checkBy(by))).toBe('by');
  });

  it.each([undefined, 'k', '!~', 'x'.repeat(128)])('accepts the Idempotency-Key %p', (key) => {
    expect(fieldOf(() => checkIdempotencyKey(key))).toBeUndefined();
  });

  it.each(['', ' ', 'a b', 'tab\t', 'é', 'x'.repeat(129), 42])(
    'rejects the Idempotency-Key %p',
    (key) => {
      expect(fieldOf(() => checkIdempotencyKey(key))).toBe('Idempotency-Key');
    },
  );
});
