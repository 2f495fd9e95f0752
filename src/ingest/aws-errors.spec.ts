import { isTransient } from './aws-errors';

describe('isTransient', () => {
  const withStatus = (name: string, httpStatusCode: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });

  it('treats unanswered requests, 5xx, 429 and throttling as transient', () => {
    expect(isTransient(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient(withStatus('InternalServerError', 500))).toBe(true);
    expect(isTransient(withStatus('TooMany', 429))).toBe(true);
    expect(isTransient(withStatus('ProvisionedThroughputExceededException', 400))).toBe(true);
    expect(isTransient(withStatus('ThrottlingException', 400))).toBe(true);
  });

  it('treats refusals of the request itself as permanent', () => {
    expect(isTransient(withStatus('ValidationException', 400))).toBe(false);
    expect(isTransient(withStatus('ResourceNotFoundException', 400))).toBe(false);
  });
});
