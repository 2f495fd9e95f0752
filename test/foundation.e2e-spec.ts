import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp, OTHER_KEY, TEST_KEY } from './support/app';

describe('foundation (embedded stack)', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await bootApp();
  });
  afterAll(() => app.close());

  const inject = (opts: Parameters<NestFastifyApplication['inject']>[0]) => app.inject(opts);

  it('is ready with every dependency up', async () => {
    const res = await inject({ method: 'GET', url: '/health/ready' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.status).toBe('ok');
    expect(Object.keys(body.details).sort()).toEqual(['dynamodb', 'redis', 'sqs']);
  });

  it('is live without checking dependencies', async () => {
    const res = await inject({ method: 'GET', url: '/health/live' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('rejects a protected route without a key, and with a wrong key, in the error shape', async () => {
    const missing = await inject({ method: 'GET', url: '/v1/anything' });
    expect(missing.statusCode).toBe(401);
    expect(missing.json()).toMatchObject({
      statusCode: 401,
      error: 'Unauthorized',
      code: 'AUTH_KEY_MISSING',
      message: expect.stringMatching(/X-API-Key/),
    });
    const wrong = await inject({
      method: 'GET',
      url: '/v1/anything',
      headers: { 'x-api-key': 'nope-nope-nope-nope' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().message).toBe('Invalid API key');
    expect(wrong.json().code).toBe('AUTH_KEY_INVALID');
    expect(wrong.json().requestId).toBe(wrong.headers['x-request-id']);
  });

  it('accepts every configured key (rotation) and answers 404 in the error shape', async () => {
    for (const key of [TEST_KEY, OTHER_KEY]) {
      const res = await inject({
        method: 'GET',
        url: '/v1/no-such-route',
        headers: { 'x-api-key': key },
      });
      expect(res.statusCode).toBe(404);
      expect(res.json()).toEqual({
        statusCode: 404,
        error: 'Not Found',
        code: 'NOT_FOUND',
        message: 'Cannot GET /v1/no-such-route',
        requestId: res.headers['x-request-id'],
      });
    }
  });

  it('answers 413 on a 2 MiB body', async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/anything',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: JSON.stringify({ blob: 'x'.repeat(2 * 1024 * 1024) }),
    });
    expect(res.statusCode).toBe(413);
    expect(res.json()).toMatchObject({
      statusCode: 413,
      error: 'Payload Too Large',
      requestId: expect.any(String),
    });
  });

  it('answers 400 on malformed JSON', async () => {
    const res = await inject({
      method: 'POST',
      url: '/v1/anything',
      headers: { ...auth, 'content-type': 'application/json' },
      payload: '{"by": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      message: expect.stringMatching(/JSON/),
    });
  });

  it('takes a well-formed X-Request-Id and replaces a malformed one', async () => {
    const good = await inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(good.headers['x-request-id']).toBe('abc-123');
    const bad = await inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-request-id': 'bad id\u0007<script>' },
    });
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves a valid OpenAPI document with the API-key scheme', async () => {
    const res = await inject({ method: 'GET', url: '/docs-json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info).toMatchObject({
      title: 'platform-api',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    expect(doc.components.securitySchemes.apiKey).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
    });
    expect(doc.security).toEqual([{ apiKey: [] }]);
    expect(doc.paths['/health/ready'].get.security).toEqual([]);
    const ui = await inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toMatch(/swagger-ui/i);
  });

  it('exports HTTP metrics labelled by route template, unmatched paths in one series', async () => {
    await inject({ method: 'GET', url: '/health/live' });
    await inject({ method: 'GET', url: `/random/${Date.now()}`, headers: auth });
    const res = await inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/health\/live"/);
    expect(res.body).toMatch(
      /http_requests_total\{method="GET",route="unmatched",status_code="404"\}/,
    );
    expect(res.body).not.toMatch(/route="\/random/);
    expect(res.body).toMatch(/process_resident_memory_bytes/);
  });
});

describe('HTTP hardening', () => {
  let app: NestFastifyApplication;
  afterEach(() => app?.close());

  it('sets security headers and keeps CORS off by default', async () => {
    app = await bootApp();
    const res = await app.inject({
      method: 'GET',
      url: '/',
      headers: { origin: 'https://evil.example' },
    });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toMatch(/max-age=/);
    expect(res.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    // On every answer: refused (401), not found (404) and API routes alike.
    for (const url of ['/v1/counters/x', '/no-such-path']) {
      const other = await app.inject({ method: 'GET', url });
      expect([
        other.statusCode,
        other.headers['x-content-type-options'],
        other.headers['content-security-policy'],
      ]).toEqual([401, 'nosniff', res.headers['content-security-policy']]);
    }
  });

  it('allows exactly the configured CORS origins', async () => {
    app = await bootApp({ CORS_ORIGINS: 'https://console.example.com' });
    const ok = await app.inject({
      method: 'OPTIONS',
      url: '/v1/counters/x',
      headers: {
        origin: 'https://console.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'x-api-key',
      },
    });
    expect(ok.headers['access-control-allow-origin']).toBe('https://console.example.com');
    const other = await app.inject({
      method: 'GET',
      url: '/',
      headers: { origin: 'https://evil.example' },
    });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
