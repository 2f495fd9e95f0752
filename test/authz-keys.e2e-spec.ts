import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bootApp } from './support/app';
import { KubeletMount } from './support/keys';
import { spawnApp, waitForStatus, type AppProcess } from './support/process';

jest.setTimeout(60_000);

const KEY_A = 'rotation-a-key-0123456789abcdef';
const KEY_B = 'rotation-b-key-0123456789abcdef';
const doc = (id: string, key: string, scopes = '[counters:read]') =>
  `keys:\n  - id: ${id}\n    key: ${key}\n    scopes: ${scopes}\n`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('key file: rotation without restart (kubelet-style ..data swap)', () => {
  let app: NestFastifyApplication;
  let mount: KubeletMount;
  beforeAll(async () => {
    mount = new KubeletMount(doc('a', KEY_A));
    app = await bootApp({ API_KEYS: undefined, API_KEYS_FILE: mount.path });
  });
  afterAll(async () => {
    await app?.close();
    mount?.remove();
  });

  const read = (key: string) =>
    app.inject({ method: 'GET', url: '/v1/counters/rotation', headers: { 'x-api-key': key } });
  const metric = async (name: string) => {
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
  };

  it('B works and A is refused within 5 s of the swap, with requests running throughout and no 5xx', async () => {
    expect((await read(KEY_A)).statusCode).toBe(200);
    expect((await read(KEY_B)).statusCode).toBe(401);
    const statuses: number[] = [];
    let running = true;
    const load = (async () => {
      for (let i = 0; running; i++) statuses.push((await read(i % 2 ? KEY_A : KEY_B)).statusCode);
    })();
    const loadedBefore = await metric('api_keys_last_load_timestamp_seconds');
    await sleep(300);
    mount.swap(doc('b', KEY_B));
    const t0 = Date.now();
    let switched = false;
    while (Date.now() - t0 < 5000) {
      const [a, b] = await Promise.all([read(KEY_A), read(KEY_B)]);
      if (a.statusCode === 401 && b.statusCode === 200) {
        switched = true;
        break;
      }
      await sleep(50);
    }
    const took = Date.now() - t0;
    await sleep(300);
    running = false;
    await load;
    expect({ switched, within5s: took < 5000 }).toEqual({ switched: true, within5s: true });
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.filter((s) => s !== 200 && s !== 401)).toEqual([]); // none failed with 5xx
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThan(0);
    expect(await metric('api_keys_loaded')).toBe(1);
    expect(await metric('api_keys_last_load_timestamp_seconds')).toBeGreaterThan(loadedBefore);
  });

  it('a broken document keeps the previous keys, and the failure is counted once', async () => {
    const failures = await metric('api_keys_reload_failures_total');
    mount.swap('keys:\n  - id: b\n    key: [unterminated\n');
    await sleep(2500); // more than two polls: a failure is counted per change, not per poll
    expect((await read(KEY_B)).statusCode).toBe(200);
    expect((await read(KEY_A)).statusCode).toBe(401);
    expect(await metric('api_keys_reload_failures_total')).toBe(failures + 1);
    // A valid document with a duplicate key is refused the same way.
    mount.swap(
      `keys:\n  - id: b\n    key: ${KEY_B}\n    scopes: [admin]\n  - id: c\n    key: ${KEY_B}\n    scopes: [admin]\n`,
    );
    await sleep(2500);
    expect(await metric('api_keys_reload_failures_total')).toBe(failures + 2);
    expect(await metric('api_keys_loaded')).toBe(1);
    const scoped = await app.inject({
      method: 'POST',
      url: '/v1/counters/rotation/reset',
      headers: { 'x-api-key': KEY_B },
    });
    expect(scoped.statusCode).toBe(403); // still the old document's b: counters:read only
  });
});

describe('node dist/main.js with a key document', () => {
  let proc: AppProcess | undefined;
  let mount: KubeletMount | undefined;
  afterEach(async () => {
    if (proc && proc.child.exitCode === null) {
      proc.child.kill('SIGTERM');
      await proc.exited;
    }
    mount?.remove();
    proc = mount = undefined;
  });

  it.each([
    [
      'a key that appears twice',
      `keys:\n  - id: a\n    key: ${KEY_A}\n    scopes: [admin]\n  - id: b\n    key: ${KEY_A}\n    scopes: [admin]\n`,
      'Invalid configuration: API_KEYS_FILE keys[1] (id b): same key as keys[0]',
    ],
    [
      'a malformed entry',
      `keys:\n  - id: a\n    key: ${KEY_A}\n    scopes: [counters:raed]\n`,
      'Invalid configuration: API_KEYS_FILE keys[0] (id a): unknown scope "counters:raed" (known: counters:read, counters:write, tasks:read, tasks:write, tasks:work, ingest:read, ingest:write, ingest:admin, eks:read, eks:write, eks:namespaces, admin)',
    ],
  ])('refuses to start on %s, with one line naming the entry', async (_what, text, line) => {
    mount = new KubeletMount(text);
    proc = await spawnApp({ API_KEYS: undefined, API_KEYS_FILE: mount.path });
    expect(await proc.exited).toBe(1);
    expect(proc.output().trim().split('\n')).toEqual([line]);
  });

  it('a broken document at runtime logs exactly one error line and keeps serving the old keys', async () => {
    mount = new KubeletMount(doc('a', KEY_A));
    proc = await spawnApp({
      API_KEYS: undefined,
      API_KEYS_FILE: mount.path,
      LOG_LEVEL: 'warn',
      INGEST_ENABLED: 'false',
    });
    await waitForStatus(`${proc.base}/health/live`, 200);
    mount.swap('keys:\n  - id: a\n    key: [unterminated\n');
    await sleep(3000); // three polls and the watch: still one line
    const errors = proc
      .output()
      .split('\n')
      .filter((l) => l.includes('API keys not reloaded'));
    expect(errors).toHaveLength(1);
    expect(JSON.parse(errors[0])).toMatchObject({
      level: 50,
      context: 'ApiKeys',
      msg: expect.stringMatching(
        /^API keys not reloaded, the previous keys stay in force: API_KEYS_FILE is not valid YAML\/JSON \(/,
      ),
    });
    const res = await fetch(`${proc.base}/v1/counters/x`, { headers: { 'x-api-key': KEY_A } });
    expect(res.status).toBe(200);
    expect(proc.output()).not.toContain(KEY_A);
  });

  it('writes one audit line per mutation and per refused attempt, field by field, never the key', async () => {
    const WRITER = 'audit-writer-key-0123456789abcdef';
    const READER = 'audit-reader-key-0123456789abcdef';
    mount = new KubeletMount(
      `keys:\n  - id: writer\n    key: ${WRITER}\n    scopes: [counters:read, counters:write]\n` +
        `  - id: reader\n    key: ${READER}\n    scopes: [counters:read]\n`,
    );
    proc = await spawnApp({
      API_KEYS: undefined,
      API_KEYS_FILE: mount.path,
      LOG_LEVEL: 'warn', // audit lines are written at info whatever LOG_LEVEL says
      INGEST_ENABLED: 'false',
    });
    await waitForStatus(`${proc.base}/health/live`, 200);
    const call = (method: string, path: string, key: string) =>
      fetch(`${proc!.base}${path}`, { method, headers: { 'x-api-key': key } });
    const ok = await call('POST', '/v1/counters/audited/increment', WRITER);
    expect(ok.status).toBe(200);
    const read = await call('GET', '/v1/counters/audited', READER); // not a mutation: no line
    expect(read.status).toBe(200);
    const refused = await call('POST', '/v1/counters/audited/reset', READER);
    expect(refused.status).toBe(403);
    const unknown = await call('DELETE', '/v1/tasks/some-task', 'not-a-valid-key-at-all');
    expect(unknown.status).toBe(401);
    await sleep(300);
    const lines = proc
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.name === 'audit');
    expect(lines).toHaveLength(3);
    const [mutation, forbidden, unauthorized] = lines;
    expect(mutation).toEqual({
      level: 30,
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      pid: expect.any(Number),
      role: 'all',
      name: 'audit',
      keyId: 'writer',
      method: 'POST',
      route: '/v1/counters/:name/increment',
      target: { counter: 'audited' },
      status: 200,
      requestId: ok.headers.get('x-request-id'),
      scope: 'counters:write',
      msg: 'audit',
    });
    expect(forbidden).toEqual({
      ...mutation,
      time: expect.any(String),
      keyId: 'reader',
      route: '/v1/counters/:name/reset',
      status: 403,
      outcome: 'refused',
      requestId: refused.headers.get('x-request-id'),
    });
    expect(unauthorized).toEqual({
      ...mutation,
      time: expect.any(String),
      keyId: null,
      method: 'DELETE',
      route: '/v1/tasks/:id',
      target: { task: 'some-task' },
      scope: 'tasks:write',
      status: 401,
      outcome: 'refused',
      requestId: unknown.headers.get('x-request-id'),
    });
    for (const key of [WRITER, READER, 'not-a-valid-key-at-all'])
      expect(proc.output()).not.toContain(key);
  });
});
