import { scrubQuery, scrubQueryString } from './scrub';

describe('scrubQuery', () => {
  it('keeps URLs without a query as they are', () => {
    expect(scrubQuery('/v1/tasks/abc')).toBe('/v1/tasks/abc');
    expect(scrubQuery('http://h:1/x')).toBe('http://h:1/x');
  });

  it('replaces every value and keeps the names', () => {
    expect(scrubQuery('/v1/tasks?state=failed&token=s3cr3t')).toBe(
      '/v1/tasks?state=[redacted]&token=[redacted]',
    );
    expect(scrubQuery('https://k:6443/api/v1/pods?labelSelector=a%3Db#frag')).toBe(
      'https://k:6443/api/v1/pods?labelSelector=[redacted]',
    );
    expect(scrubQuery('/x?flag')).toBe('/x?flag=[redacted]');
    expect(scrubQuery('/x?')).toBe('/x?');
  });

  it('scrubs a bare query string', () => {
    expect(scrubQueryString('a=1&b=2')).toBe('a=[redacted]&b=[redacted]');
    expect(scrubQueryString('')).toBe('');
  });
});
