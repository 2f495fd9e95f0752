import { classifyAwsError, isRetryable, isTransient } from './aws-errors';

describe('classifyAwsError', () => {
  const withStatus = (name: string, httpStatusCode: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode } });

  it('treats unanswered requests, 5xx, 429 and throttling as transient', () => {
    expect(isTransient(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isTransient(withStatus('InternalServerError', 500))).toBe(true);
    expect(isTransient(withStatus('Whatever', 503))).toBe(true);
    expect(isTransient(withStatus('TooMany', 429))).toBe(true);
    expect(isTransient(withStatus('ProvisionedThroughputExceededException', 400))).toBe(true);
    expect(isTransient(withStatus('ThrottlingException', 400))).toBe(true);
    const timeout = Object.assign(new Error('a request has exceeded 5000 ms'), {
      name: 'TimeoutError',
      code: 'ETIMEDOUT',
    });
    expect(isTransient(timeout)).toBe(true);
    expect(isTransient(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toBe(true);
  });

  it('treats refusals of the request itself as permanent', () => {
    expect(classifyAwsError(withStatus('ValidationException', 400))).toBe('permanent');
    expect(classifyAwsError(withStatus('ResourceNotFoundException', 400))).toBe('permanent');
    expect(classifyAwsError(withStatus('AccessDenied', 403))).toBe('permanent');
    expect(classifyAwsError(withStatus('InvalidMessageContents', 400))).toBe('permanent');
    expect(isRetryable(withStatus('QueueDoesNotExist', 400))).toBe(false);
  });

  it('calls an error it cannot place unknown: retryable, but not transient', () => {
    const bug = new TypeError("Cannot read properties of undefined (reading 'x')");
    expect(classifyAwsError(bug)).toBe('unknown');
    expect(classifyAwsError(undefined)).toBe('unknown');
    expect(isRetryable(bug)).toBe(true);
    expect(isTransient(bug)).toBe(false);
  });

  it('uses the SDK fault side when an answer had no readable status', () => {
    expect(classifyAwsError(Object.assign(new Error('x'), { $fault: 'server' }))).toBe('transient');
    expect(classifyAwsError(Object.assign(new Error('x'), { $fault: 'client' }))).toBe('permanent');
  });
});
