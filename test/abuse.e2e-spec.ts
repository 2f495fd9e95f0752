import fc from 'fast-check';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp, TEST_KEY } from './support/app';
import { testKube } from './support/kube';
import { abuseCases, operationsOf, type Operation } from './support/openapi-abuse';

/**
 * Drives every operation of /docs-json with generated invalid input. Every answer must be a 4xx
 * that the operation documents, in the common error shape (compat routes keep their seed's
 * shapes, so only the status is checked there); never a 5xx, and the process stays up.
 */
describe('abuse: every documented operation with invalid input', () => {
  let app: NestFastifyApplication;
  let ops: Operation[];
  beforeAll(async () => {
    // eks routes answer from the real local API server (global setup), not 503
    app = await bootApp({ ...testKube().env, JOB_IMAGE_ALLOWLIST: 'registry.example.com/' });
    ops = operationsOf((await app.inject({ method: 'GET', url: '/docs-json' })).json());
  });
  afterAll(async () => {
    await app.close();
  });

  // A valid-looking value for the path parameters that a case does not attack.
  const fill = (name: string) => (/name|ns|namespace/i.test(name) ? 'abuse-test' : 'abuse-test-id');

  it('finds the operations to drive', () => {
    expect(ops.length).toBeGreaterThan(3);
  });

  it('answers every invalid request with a documented 4xx in the error shape', async () => {
    const failures: string[] = [];
    let driven = 0;
    for (const op of ops) {
      const cases = abuseCases(op, fill);
      if (!cases) continue; // takes no input at all
      driven++;
      await fc.assert(
        fc.asyncProperty(cases, async (c) => {
          const res = await app.inject({
            method: op.method as 'GET',
            url: c.path,
            query: c.query,
            headers: { ...auth, ...(c.contentType ? { 'content-type': c.contentType } : {}) },
            payload: c.payload,
          });
          const where = `${op.method} ${op.path} [${c.label}] → ${res.statusCode} ${res.body.slice(0, 200)}`;
          if (res.body.includes(TEST_KEY) || JSON.stringify(res.headers).includes(TEST_KEY))
            failures.push(`echoes the API key: ${where}`);
          if (res.statusCode < 400 || res.statusCode >= 500) failures.push(where);
          else if (!op.responses.includes(String(res.statusCode)))
            failures.push(`undocumented ${where}`);
          else if (!op.deprecated) {
            const body = res.json();
            if (
              body.statusCode !== res.statusCode ||
              typeof body.message !== 'string' ||
              typeof body.requestId !== 'string'
            ) {
              failures.push(`shape ${where}`);
            }
          }
        }),
        { numRuns: 12, seed: 42 },
      );
    }
    expect(failures.slice(0, 20)).toEqual([]);
    expect(driven).toBeGreaterThanOrEqual(3);
    const live = await app.inject({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);
  });
});
