import { invalidField } from '../common/errors/validation';

/** Counter names: lower-case, safe in a Redis key and a URL path segment. */
export const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const NAME_RULE = 'name must match ^[a-z0-9][a-z0-9._-]{0,63}$';
/** Idempotency-Key: 1-128 visible ASCII characters. */
export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,128}$/;
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const MAX_BY = 1_000_000_000;
/** JSON clients (JavaScript numbers) cannot represent integers beyond this. */
export const MAX_VALUE = Number.MAX_SAFE_INTEGER;

/** Checks what the service receives from any caller (controllers validate first; other features may not). */
export function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !NAME_PATTERN.test(name)) throw invalidField('name', NAME_RULE);
}

export function checkBy(by: unknown): asserts by is number {
  if (!Number.isInteger(by) || Math.abs(by as number) > MAX_BY) {
    throw invalidField('by', `by must be an integer between -${MAX_BY} and ${MAX_BY}`);
  }
}

export function checkIdempotencyKey(key: unknown): asserts key is string | undefined {
  if (key === undefined) return;
  if (typeof key !== 'string' || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw invalidField(
      IDEMPOTENCY_KEY_HEADER,
      `${IDEMPOTENCY_KEY_HEADER} must be 1-128 visible ASCII characters`,
    );
  }
}
