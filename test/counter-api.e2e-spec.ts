import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** counter-api's clients keep working: same paths, bodies and auth errors, on the counter `default`. */
describe('compat: counter-api', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await bootApp();
  });
  afterAll(() => app.close());

  const call = (method: 'GET' | 'POST', url: string, headers: Record<string, string> = auth) =>
    app.inject({ method, url, headers });

  it('resets, writes (+1) and reads with the seed shapes', async () => {
    const reset = await call('POST', '/reset');
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toEqual({
      value: 0,
      operation: 'reset',
      timestamp: expect.stringMatching(ISO),
    });
    const writes = await Promise.all([1, 2, 3].map(() => call('POST', '/write')));
    expect(writes.map((w) => w.statusCode)).toEqual([200, 200, 200]);
    expect(writes.map((w) => w.json().value).sort()).toEqual([1, 2, 3]);
    expect(Object.keys(writes[0].json()).sort()).toEqual(['operation', 'timestamp', 'value']);
    expect(writes[0].json()).toMatchObject({
      operation: 'increment',
      timestamp: expect.stringMatching(ISO),
    });
    const read = await call('GET', '/read');
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual({ value: 3, timestamp: expect.stringMatching(ISO) });
  });

  it('is the same counter as /v1/counters/default', async () => {
    await call('POST', '/reset');
    await call('POST', '/v1/counters/default/increment');
    expect((await call('GET', '/read')).json().value).toBe(1);
  });

  it.each<['GET' | 'POST', string]>([
    ['GET', '/read'],
    ['POST', '/write'],
    ['POST', '/reset'],
  ])('%s %s answers the seed 401 without a key and 403 with a wrong one', async (method, url) => {
    const missing = await call(method, url, {});
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toEqual({ error: 'API key required' });
    const wrong = await call(method, url, { 'x-api-key': 'not-the-key-0123456789' });
    expect(wrong.statusCode).toBe(403);
    expect(wrong.json()).toEqual({ error: 'Invalid API key' });
  });

  it('keeps the common error shape on the v1 routes', async () => {
    const res = await call('GET', '/v1/counters/default', {});
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized' });
  });

  it('marks the compat routes deprecated in the OpenAPI document', async () => {
    const doc = (await call('GET', '/docs-json')).json();
    expect(doc.paths['/read'].get.deprecated).toBe(true);
    expect(doc.paths['/write'].post.deprecated).toBe(true);
    expect(doc.paths['/reset'].post.deprecated).toBe(true);
    expect(doc.paths['/v1/counters/{name}'].get.deprecated).toBeUndefined();
  });
});
