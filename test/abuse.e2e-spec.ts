import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp, TEST_KEY } from './support/app';
import { ingestNames } from './support/ingest';
import {
  abuseCases,
  operationsOf,
  responseChecker,
  validCases,
  type OpenApiDoc,
  type Operation,
} from './support/openapi-abuse';
import { uniqueQueue } from './support/tasks';
import { testKube } from './support/kube';

/**
 * The OpenAPI document is the contract. Drives every operation of /docs-json with generated
 * invalid input (every answer a 4xx the operation documents, in the common error shape; never a
 * 5xx, and the process stays up) and with valid input generated from the document (accepted),
 * and checks every answer's status, body and headers against the document with ajv.
 */
describe('contract: every documented operation, with invalid and valid input', () => {
  let app: NestFastifyApplication;
  let doc: OpenApiDoc;
  let ops: Operation[];
  let check: ReturnType<typeof responseChecker>;
  beforeAll(async () => {
    // eks routes answer from the real local API server (global setup), not 503
    app = await bootApp({
      ...testKube().env,
      // Valid requests create counters (the compat one too), tasks and messages: in keys, queues
      // and a table of this suite's own, so suites running beside it never see them.
      REDIS_KEY_PREFIX: `contract-${process.pid}:`,
      TASKS_QUEUE_NAME: uniqueQueue('contract'),
      // The documented lease example's type is an external type here, so valid leases are valid.
      TASKS_EXTERNAL_TYPES: 'reports.*',
      ...ingestNames('contract'),
    });
    doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    ops = operationsOf(doc);
    check = responseChecker(doc);
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
          else {
            for (const p of check(op, res)) failures.push(`${p}: ${where}`);
          }
          if (!op.deprecated && res.statusCode >= 400) {
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
  // What the document calls valid is accepted: never refused as invalid input (400, 413, 414,
  // 415), never a 5xx. A 403/404/409/422 is the state of the resource, not the input (an id
  // that does not exist, a client id used before), and must be documented like any answer.
  it('accepts every valid request the document describes, and answers as documented', async () => {
    const failures: string[] = [];
    // A lease long-polls until a task of its types is there: queue enough of the documented
    // external type (8 runs, at most 100 each) that every valid lease answers at once.
    for (let i = 0; i < 8; i++) {
      const tasks = Array.from({ length: 100 }, () => ({ type: 'reports.pdf', payload: {} }));
      const seeded = await app.inject({
        method: 'POST',
        url: '/v1/tasks/batch',
        headers: auth,
        payload: { tasks },
      });
      expect(seeded.statusCode).toBe(202);
    }
    for (const op of ops) {
      await fc.assert(
        fc.asyncProperty(validCases(doc, op), async (c) => {
          const res = await app.inject({
            method: op.method as 'GET',
            url: c.path,
            query: c.query,
            headers: { ...auth, ...c.headers },
            payload: c.payload,
          });
          const where = `${op.method} ${op.path} [${c.label}] → ${res.statusCode} ${res.body.slice(0, 300)}`;
          if ([400, 413, 414, 415].includes(res.statusCode) || res.statusCode >= 500)
            failures.push(`refused ${where}`);
          for (const p of check(op, res)) failures.push(`${p}: ${where}`);
        }),
        { numRuns: 8, seed: 7 },
      );
    }
    expect(failures.slice(0, 20)).toEqual([]);
  });

  // `additionalProperties: false` is a promise: a valid body plus one unknown field is a 400.
  it('refuses an unknown field next to valid ones wherever the document closes the body', async () => {
    let closed = 0;
    for (const op of ops) {
      const raw = doc.paths[op.path][op.method.toLowerCase()] as {
        requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> };
      };
      const ref = raw.requestBody?.content?.['application/json']?.schema?.$ref;
      const schema = ref ? doc.components?.schemas?.[ref.split('/').pop()!] : undefined;
      if (schema?.additionalProperties !== false) continue;
      closed++;
      const [c] = fc.sample(validCases(doc, op), { numRuns: 1, seed: 3 });
      const body = { ...(c.payload ? JSON.parse(c.payload) : {}), unexpectedField: 1 };
      const res = await app.inject({
        method: op.method as 'POST',
        url: c.path,
        query: c.query,
        headers: { ...auth, ...c.headers, 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      expect([op.method, op.path, res.statusCode]).toEqual([op.method, op.path, 400]);
      expect(res.body).toContain('unexpectedField');
    }
    expect(closed).toBeGreaterThanOrEqual(8);
  });

  // class-transformer copies a DTO body recursively: a body some thousands of levels deep (tens
  // of KB, well under the body limit) overflowed the stack, a 500 on every DTO route. A field the
  // hand-checked pipes pass along unread (a task's payload) met the stack later, in the service.
  it('answers a valid body with a field nested 20000 levels deep (beside, in any field or item field) with a 4xx, everywhere', async () => {
    const deep = '{"d":'.repeat(20_000) + '1' + '}'.repeat(20_000);
    const marker = '"__deep_value__"';
    const deepValue: unknown = JSON.parse(marker);
    let driven = 0;
    const failures: string[] = [];
    for (const op of ops) {
      const raw = doc.paths[op.path][op.method.toLowerCase()] as {
        requestBody?: { content?: Record<string, unknown> };
      };
      if (!raw.requestBody?.content?.['application/json']) continue;
      const [c] = fc.sample(validCases(doc, op), { numRuns: 1, seed: 3 });
      const body = c.payload ? (JSON.parse(c.payload) as Record<string, unknown>) : {};
      const variants: Array<Record<string, unknown>> = [{ ...body, deeplyNested: deepValue }];
      for (const [key, value] of Object.entries(body)) {
        variants.push({ ...body, [key]: deepValue });
        const [first, ...rest] = Array.isArray(value) ? (value as unknown[]) : [];
        if (first && typeof first === 'object' && !Array.isArray(first))
          for (const inner of Object.keys(first))
            variants.push({ ...body, [key]: [{ ...first, [inner]: deepValue }, ...rest] });
      }
      for (const variant of variants) {
        driven++;
        const res = await app.inject({
          method: op.method as 'POST',
          url: c.path,
          query: c.query,
          headers: { ...auth, ...c.headers, 'content-type': 'application/json' },
          payload: JSON.stringify(variant).replace(marker, deep),
        });
        if (res.statusCode >= 500)
          failures.push(`${op.method} ${op.path} ${JSON.stringify(variant)}: ${res.statusCode}`);
      }
    }
    expect(failures).toEqual([]);
    expect(driven).toBeGreaterThanOrEqual(20);
  });

  it('documents every path parameter of every operation', () => {
    for (const op of ops) {
      const inPath = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      const declared = op.parameters.filter((p) => p.in === 'path');
      expect([op.path, declared.map((p) => p.name).sort()]).toEqual([op.path, inPath]);
      for (const p of declared)
        expect([op.path, p.name, typeof (p.schema as { pattern?: unknown })?.pattern]).toEqual([
          op.path,
          p.name,
          'string',
        ]);
    }
  });

  it('declares each header once, and none as required that the server does not require', () => {
    for (const op of ops) {
      const headers = op.parameters.filter((p) => p.in === 'header');
      const names = headers.map((h) => h.name.toLowerCase());
      expect([op.path, new Set(names).size]).toEqual([op.path, names.length]);
      expect(headers.filter((h) => h.required)).toEqual([]);
    }
  });

  // JSON is the only media type: a form or text body is 415 in the common shape and reaches no
  // handler (before, `curl -d '{...}' /process_message` stored the text as a form field).
  it('refuses every body that is not application/json with 415, and stores nothing', async () => {
    for (const op of ops.filter((o) => o.body)) {
      for (const [type, payload] of [
        ['application/x-www-form-urlencoded', '{"hello":"world"}'],
        ['text/plain', '{"hello":"world"}'],
        ['multipart/form-data; boundary=x', '--x--'],
      ]) {
        const url = op.path.replace(/\{(\w+)\}/g, (_, n: string) => fill(n));
        const res = await app.inject({
          method: op.method as 'POST',
          url,
          headers: { ...auth, 'content-type': type },
          payload,
        });
        expect([op.method, op.path, type, res.statusCode]).toEqual([op.method, op.path, type, 415]);
        expect(res.json()).toMatchObject({
          statusCode: 415,
          error: 'Unsupported Media Type',
          message: 'Unsupported Content-Type: send application/json',
        });
        expect(check(op, res)).toEqual([]);
      }
    }
  });

  it('answers 405 with Allow for a known path and a method it does not serve', async () => {
    for (const [method, url, allow] of [
      ['TRACE', '/v1/counters/x', 'GET, HEAD'],
      ['QUERY', '/v1/counters/x', 'GET, HEAD'],
      ['PUT', '/v1/counters/x', 'GET, HEAD'],
      ['DELETE', '/v1/counters/x/increment', 'POST'],
      ['PATCH', '/v1/tasks/abc', 'DELETE, GET, HEAD'],
      ['OPTIONS', '/process_message', 'POST'],
      ['GET', '/v1/ingest/dead-letters/redrive', 'POST'],
    ] as const) {
      for (const headers of [auth, {}]) {
        const res = await app.inject({ method: method as 'GET', url, headers });
        expect([method, url, res.statusCode, res.headers.allow]).toEqual([method, url, 405, allow]);
        expect(res.json()).toMatchObject({ statusCode: 405, error: 'Method Not Allowed' });
      }
    }
    // An unknown path is still 404 (or 401 without a key: routes cannot be enumerated).
    const unknown = await app.inject({ method: 'TRACE', url: '/v1/nothing-here', headers: auth });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers.allow).toBeUndefined();
  });

  it('keeps the request body optional where the server treats it so (redrive)', () => {
    const redrive = doc.paths['/v1/ingest/dead-letters/redrive'].post as {
      requestBody: { required?: boolean };
    };
    expect(redrive.requestBody.required).toBe(false);
  });

  // openapi.json is the published artefact (client generators, review diffs, `npm run lint`):
  // it must be exactly what the server serves.
  it('serves exactly the committed openapi.json (after a change: npm run openapi)', () => {
    const committed = JSON.parse(readFileSync(join(__dirname, '..', 'openapi.json'), 'utf8'));
    expect(doc).toEqual(committed);
  });
});
