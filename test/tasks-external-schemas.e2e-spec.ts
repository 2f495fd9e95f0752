import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { auth, bootApp } from './support/app';
import { submit, uniqueQueue } from './support/tasks';

jest.setTimeout(60_000);

const SCHEMAS = `
reports.pdf:
  type: object
  required: [month]
  additionalProperties: false
  properties:
    month: { type: string, pattern: '^\\d{4}-\\d{2}$' }
    pages: { type: integer, minimum: 1 }
    email: { type: string, format: email }
sch.*:
  type: object
  required: [n]
  properties: { n: { type: integer } }
`;

/** TASKS_EXTERNAL_SCHEMAS_FILE: a JSON Schema per external type, checked at submission. */
describe('tasks: JSON Schemas of external payloads', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'schemas-')), 'schemas.yaml');
    writeFileSync(file, SCHEMAS);
    app = await bootApp({
      APP_ROLE: 'api',
      INGEST_ENABLED: 'false',
      TASKS_QUEUE_NAME: uniqueQueue('schemas'),
      TASKS_EXTERNAL_TYPES: 'reports.pdf, sch.*, free.*',
      TASKS_EXTERNAL_SCHEMAS_FILE: file,
    });
  });
  afterAll(() => app.close());

  const fields = (res: { json(): { errors?: { field: string }[] } }) =>
    (res.json().errors ?? []).map((e) => e.field).sort();

  it('accepts a payload its schema accepts, and 400 names each bad field', async () => {
    expect(
      (await submit(app, { type: 'reports.pdf', payload: { month: '2026-11', pages: 3 } }))
        .statusCode,
    ).toBe(202);
    const bad = await submit(app, {
      type: 'reports.pdf',
      payload: { pages: 0, extra: true, email: 'nope' },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('VALIDATION_FAILED');
    expect(fields(bad)).toEqual([
      'payload.email',
      'payload.extra',
      'payload.month',
      'payload.pages',
    ]);
    const month = await submit(app, { type: 'reports.pdf', payload: { month: 'November' } });
    expect(month.json().errors).toEqual([
      { field: 'payload.month', messages: [expect.stringContaining('must match pattern')] },
    ]);
    expect(fields(await submit(app, { type: 'reports.pdf', payload: [1] }))).toEqual(['payload']);
    expect(fields(await submit(app, { type: 'reports.pdf' }))).toEqual(['payload']);
  });

  it('a pattern’s schema covers its types; a type without a schema takes any JSON', async () => {
    expect((await submit(app, { type: 'sch.a', payload: { n: 1 } })).statusCode).toBe(202);
    expect(fields(await submit(app, { type: 'sch.b', payload: { n: 'one' } }))).toEqual([
      'payload.n',
    ]);
    expect((await submit(app, { type: 'free.x', payload: 'anything' })).statusCode).toBe(202);
  });

  it('batch items and schedules are checked the same way, the field under the item', async () => {
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/tasks/batch',
      headers: auth,
      payload: {
        tasks: [
          { type: 'sch.a', payload: { n: 1 } },
          { type: 'reports.pdf', payload: {} },
        ],
      },
    });
    expect(batch.statusCode).toBe(400);
    expect(fields(batch)).toEqual(['tasks.1.payload.month']);
    const schedule = await app.inject({
      method: 'POST',
      url: '/v1/schedules',
      headers: auth,
      payload: { name: 'sch-bad', everyMs: 60_000, task: { type: 'sch.a', payload: {} } },
    });
    expect(schedule.statusCode).toBe(400);
    expect(fields(schedule)).toEqual(['task.payload.n']);
  });
});
