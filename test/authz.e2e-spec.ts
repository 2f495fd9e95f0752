import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Redis } from 'ioredis';
import * as prettier from 'prettier';
import { SCOPES, type Scope } from '../src/config';
import { renderAuthorizationDoc } from '../scripts/authorization-doc.ts';
import { bootApp } from './support/app';
import { startEksFakes, type EksFakes } from './support/fake-kube/eks-env';
import { directClients, ingestNames } from './support/ingest';
import { KubeletMount, scopeEntries, scopeKey } from './support/keys';
import { uniqueQueue } from './support/tasks';

jest.setTimeout(120_000);

const ADMIN_KEY = 'admin-key-0123456789abcdef';
const OWNER_A = 'owner-a-key-0123456789abcdef';
const OWNER_B = 'owner-b-key-0123456789abcdef';
const EXPIRED_KEY = 'expired-key-0123456789abcdef';
const IMAGE = 'registry.example.com/tools/report:1.2';

const KEYS =
  'keys:\n' +
  scopeEntries() +
  `  - id: root\n    key: ${ADMIN_KEY}\n    scopes: [admin]\n` +
  `  - id: owner-a\n    key: ${OWNER_A}\n    scopes: [tasks:read, tasks:write]\n` +
  `  - id: owner-b\n    key: ${OWNER_B}\n    scopes: [tasks:read, tasks:write]\n` +
  `  - id: old\n    key: ${EXPIRED_KEY}\n    scopes: [admin]\n    expires: 2020-01-01T00:00:00Z\n`;

type Op = {
  method: string;
  path: string;
  op: Record<string, unknown> & {
    security?: unknown[];
    parameters?: Array<{ name: string; in: string; required?: boolean }>;
    requestBody?: unknown;
  };
};

const SAMPLE: Record<string, string> = {
  name: 'matrix',
  id: 'matrix-task',
  task_id: 'matrix-task',
  ns: 'team-a',
  namespace: 'team-a',
  namespace_name: 'team-a',
  job_name: 'matrix',
};

/** A body that passes validation where it matters, so the allowed call reaches the handler. */
const BODIES: Record<string, unknown> = {
  'POST /v1/counters/{name}/increment': { by: 1 },
  'POST /v1/tasks': { type: 'echo', payload: {} },
  'POST /v1/tasks/batch': { tasks: [{ type: 'echo', payload: {} }] },
  'POST /v1/ingest/messages': { messages: [{ payload: { a: 1 } }] },
  'POST /v1/ingest/dead-letters/redrive': {},
  'POST /v1/namespaces': { name: 'team-a' },
  'POST /v1/namespaces/{ns}/jobs': { image: IMAGE },
  'POST /tasks': { task_id: 'matrix-task', data: {} },
  'POST /api/eks-create-job': {
    namespace: 'team-a',
    job_manifest: { spec: { template: { spec: { containers: [{ name: 'm', image: IMAGE }] } } } },
  },
  'POST /api/eks-create-namespace': { namespace_name: 'team-a' },
  'POST /process_message': { hello: 'world' },
};

const requestOf = ({ method, path, op }: Op) => {
  const url = path.replace(/\{(\w+)\}/g, (_, p: string) => SAMPLE[p] ?? 'x');
  const query = (op.parameters ?? [])
    .filter((p) => p.in === 'query' && p.required)
    .map((p) => `${p.name}=${encodeURIComponent(SAMPLE[p.name] ?? 'x')}`);
  const body = BODIES[`${method.toUpperCase()} ${path}`];
  return {
    method: method.toUpperCase() as 'GET',
    url: query.length ? `${url}?${query.join('&')}` : url,
    ...(body !== undefined ? { payload: body as object } : op.requestBody ? { payload: {} } : {}),
  };
};

/** Not refused by authorization: no 401, no 403 with an AUTH_ code (a policy 403 may happen), no 500. */
function expectNotRefused(name: string, res: { statusCode: number; body: string }): void {
  const code = res.statusCode === 403 ? (JSON.parse(res.body) as { code?: string }).code : '';
  const refusal = res.statusCode === 401 || /^AUTH_/.test(code ?? '') || res.statusCode >= 500;
  expect({ name, status: res.statusCode, refusal }).toEqual({
    name,
    status: res.statusCode,
    refusal: false,
  });
}

describe('authorization: scopes on every operation, owners, expiry', () => {
  let app: NestFastifyApplication;
  let fakes: EksFakes;
  let mount: KubeletMount;
  let redis: Redis;
  const aws = directClients();
  const prefix = `${uniqueQueue('authz')}:`;
  const names = ingestNames('authz');
  const redisUrl = `${process.env.REDIS_URL!.replace(/\/\d*$/, '')}/7`;
  let ops: Op[];

  beforeAll(async () => {
    fakes = await startEksFakes();
    mount = new KubeletMount(KEYS);
    app = await bootApp({
      ...fakes.env,
      ...names,
      API_KEYS: undefined,
      API_KEYS_FILE: mount.path,
      APP_ROLE: 'api', // no worker nor consumer: nothing changes state but the requests
      // A database of its own: each snapshot scans the whole keyspace of it, and the shared
      // database 0 holds every other suite's keys (scanning it ~400 times slowed their Redis).
      REDIS_URL: redisUrl,
      REDIS_KEY_PREFIX: prefix,
      RATE_LIMIT_ENABLED: 'false', // the limiter writes to Redis on every request
    });
    redis = new Redis(redisUrl);
    const doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    ops = Object.entries(doc.paths as Record<string, Record<string, Op['op']>>).flatMap(
      ([path, item]) =>
        Object.entries(item)
          .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
          .map(([method, op]) => ({ method, path, op })),
    );
  }, 60_000);
  afterAll(async () => {
    await app?.close();
    await fakes?.stop();
    redis?.disconnect();
    aws.destroy();
    mount?.remove();
  });

  const as = (key: string, req: ReturnType<typeof requestOf>) =>
    app.inject({ ...req, headers: { 'x-api-key': key } });

  /** Everything a request could change: our Redis keys (dumped), our queues' depth, Kubernetes calls. */
  const snapshot = async () => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== '0');
    keys.sort();
    const dumps = await Promise.all(keys.map((k) => redis.dumpBuffer(k)));
    const depth = async (q: string) => {
      const out = await aws.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: await aws.queueUrl(q),
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return out.Attributes;
    };
    return {
      redis: keys.map((k, i) => `${k}=${dumps[i]?.toString('hex')}`),
      sqs: await depth(names.INGEST_QUEUE_NAME),
      dlq: await depth(names.INGEST_DLQ_NAME),
      kubeCalls: fakes.kube.requests.length,
    };
  };

  it('found the operations of the document (and every one declares a scope)', () => {
    const guarded = ops.filter((o) => !(Array.isArray(o.op.security) && !o.op.security.length));
    expect(guarded.length).toBeGreaterThanOrEqual(35);
    const undeclared = guarded
      .filter((o) => {
        const s = o.op['x-required-scopes'] as string[] | undefined;
        return !s?.length || s.some((x) => !(SCOPES as readonly string[]).includes(x));
      })
      .map((o) => `${o.method.toUpperCase()} ${o.path}`);
    expect(undeclared).toEqual([]);
    for (const o of guarded) {
      const [scope] = o.op['x-required-scopes'] as string[];
      expect(o.op.description).toContain(`**Required scope:** \`${scope}\``);
      expect(o.op.responses).toHaveProperty('403');
    }
  });

  it('the scope matrix: the exact scope passes, every other scope is 403 and changes nothing', async () => {
    const guarded = ops.filter((o) => !(Array.isArray(o.op.security) && !o.op.security.length));
    const others = SCOPES.filter((s) => s !== 'admin');
    let refused = 0;
    let changedByAllowed = 0;
    for (const o of guarded) {
      const name = `${o.method.toUpperCase()} ${o.path}`;
      const [needed] = o.op['x-required-scopes'] as Scope[];
      const req = requestOf(o);
      let before = await snapshot();
      for (const s of others.filter((x) => x !== needed)) {
        const res = await as(scopeKey(s), req);
        expect({ name, scope: s, status: res.statusCode }).toEqual({
          name,
          scope: s,
          status: 403,
        });
        const body = res.json();
        if (o.path === '/read' || o.path === '/write' || o.path === '/reset') {
          expect(body).toEqual({ error: `API key lacks the scope ${needed}` }); // counter-api's shape
        } else {
          expect(body).toEqual({
            statusCode: 403,
            error: 'Forbidden',
            message: `API key scope-${s.replace(':', '.')} lacks the scope this route needs: ${needed}`,
            code: 'AUTH_SCOPE_MISSING',
            requiredScope: needed,
            requestId: res.headers['x-request-id'],
          });
        }
        const after = await snapshot();
        expect({ name, scope: s, state: after }).toEqual({ name, scope: s, state: before });
        before = after;
        refused++;
      }
      expectNotRefused(name, await as(scopeKey(needed), req));
      if (JSON.stringify(await snapshot()) !== JSON.stringify(before)) changedByAllowed++;
    }
    expect(refused).toBeGreaterThan(300);
    // The snapshot does see changes: the allowed mutations (counters, tasks, messages, kube) showed up.
    expect(changedByAllowed).toBeGreaterThanOrEqual(15);
  });

  it('admin passes every operation', async () => {
    for (const o of ops.filter((x) => x.op['x-required-scopes']))
      expectNotRefused(`${o.method} ${o.path}`, await as(ADMIN_KEY, requestOf(o)));
  });

  it('an expired key is 401 and the message says so', async () => {
    const res = await as(EXPIRED_KEY, { method: 'GET', url: '/v1/counters/x' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({
      statusCode: 401,
      code: 'AUTH_KEY_EXPIRED',
      message: expect.stringMatching(/expired/),
    });
  });

  it("owners: a key sees and changes only its own tasks; another key's task is 404, admin sees all", async () => {
    const post = (key: string, payload: object, url = '/v1/tasks') =>
      app.inject({ method: 'POST', url, headers: { 'x-api-key': key }, payload });
    const get = (key: string, url: string) =>
      app.inject({ method: 'GET', url, headers: { 'x-api-key': key } });
    const created = await post(OWNER_A, { type: 'echo', payload: { n: 1 }, id: 'owned-by-a' });
    expect(created.statusCode).toBe(202);
    expect(created.json().owner).toBe('owner-a');
    expect((await get(OWNER_A, '/v1/tasks/owned-by-a')).json().owner).toBe('owner-a');

    const other = await get(OWNER_B, '/v1/tasks/owned-by-a');
    expect(other.statusCode).toBe(404);
    expect(other.json().message).toBe(
      (await get(OWNER_B, '/v1/tasks/never-existed'))
        .json()
        .message.replace('never-existed', 'owned-by-a'),
    );
    const del = await app.inject({
      method: 'DELETE',
      url: '/v1/tasks/owned-by-a',
      headers: { 'x-api-key': OWNER_B },
    });
    expect(del.statusCode).toBe(404);
    const retry = await post(OWNER_B, {}, '/v1/tasks/owned-by-a/retry');
    expect(retry.statusCode).toBe(404);
    // Same client id from another key: refused without showing the task.
    const clash = await post(OWNER_B, { type: 'echo', payload: { n: 1 }, id: 'owned-by-a' });
    expect(clash.statusCode).toBe(409);
    expect(clash.json()).not.toHaveProperty('owner');

    const listB = (await get(OWNER_B, '/v1/tasks?limit=100')).json();
    expect(listB.items.map((t: { id: string }) => t.id)).not.toContain('owned-by-a');
    const listA = (await get(OWNER_A, '/v1/tasks?limit=100')).json();
    expect(listA.items.map((t: { id: string }) => t.id)).toContain('owned-by-a');
    for (const t of listA.items) expect(t.owner).toBe('owner-a');
    expect((await get(ADMIN_KEY, '/v1/tasks/owned-by-a')).json().owner).toBe('owner-a');

    // The compat route too: another key's ephemeral task is the seed's 404.
    expect((await post(OWNER_A, { task_id: 'eb-owned', data: {} }, '/tasks')).statusCode).toBe(200);
    const ebOther = await get(OWNER_B, '/tasks/eb-owned');
    expect(ebOther.statusCode).toBe(404);
    expect(ebOther.json()).toEqual({ detail: 'Task not found' });
    expect((await get(OWNER_A, '/tasks/eb-owned')).statusCode).toBe(200);
    expect((await get(OWNER_B, '/tasks')).json().tasks).toEqual([]);
  });

  it('the queue UI needs admin: any other valid key is 403', async () => {
    const basic = (k: string) => `Basic ${Buffer.from(`ops:${k}`).toString('base64')}`;
    const ui = (k: string) =>
      app.inject({ method: 'GET', url: '/admin/queues', headers: { authorization: basic(k) } });
    const refused = await ui(scopeKey('tasks:write'));
    expect(refused.statusCode).toBe(403);
    expect(refused.json()).toMatchObject({ code: 'AUTH_SCOPE_MISSING', requiredScope: 'admin' });
    expect((await ui(ADMIN_KEY)).statusCode).toBe(200);
  });

  it('metrics show how many keys are loaded and when', async () => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(Number(/^api_keys_loaded (\d+)$/m.exec(text)?.[1])).toBe(SCOPES.length + 4);
    const at = Number(/^api_keys_last_load_timestamp_seconds (\S+)$/m.exec(text)?.[1]);
    expect(Date.now() / 1000 - at).toBeLessThan(600);
  });

  it('docs/authorization.md lists the scope of every route, as generated from the document', async () => {
    const doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    const file = join(__dirname, '..', 'docs', 'authorization.md');
    const page = readFileSync(file, 'utf8');
    const options = { ...(await prettier.resolveConfig(file)), parser: 'markdown' };
    const fresh = await prettier.format(renderAuthorizationDoc(doc, page), options);
    if (process.env.UPDATE_DOCS === '1') writeFileSync(file, fresh);
    else expect(page).toBe(fresh); // on a difference: run this suite with UPDATE_DOCS=1
  });
});
