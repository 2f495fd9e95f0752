import { readFileSync, writeFileSync } from 'node:fs';
import { TEST_KEY } from './support/app';
import { startEksFakes, type EksFakes } from './support/fake-kube/eks-env';
import { FAST_CONSUMER, ingestNames, waitFor } from './support/ingest';
import { OtlpReceiver, renderTree, type CollectedSpan } from './support/otlp-receiver';
import { spawnApp, waitForStatus, type AppProcess } from './support/process';
import { uniqueQueue } from './support/tasks';

// OTLP span kinds (the wire enum, not the API's).
const INTERNAL = 1;
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

// Values that must never leave the process in a span.
const SECRET_PAYLOAD = 'payload-secret-7f3a91';
const QUERY_VALUE = 'query-secret-c0ffee';

const otelEnv = (endpoint: string, extra: Record<string, string> = {}) => ({
  API_KEYS: TEST_KEY,
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
  OTEL_BSP_SCHEDULE_DELAY: '100',
  OTEL_SERVICE_NAME: 'platform-api-test',
  OTEL_RESOURCE_ATTRIBUTES: 'k8s.pod.name=api-0,k8s.namespace.name=platform,k8s.node.name=node-a',
  ...extra,
});

async function stop(app: AppProcess | undefined): Promise<void> {
  if (!app || app.child.exitCode !== null) return;
  app.child.kill('SIGTERM');
  await app.exited;
}

const byName = (spans: CollectedSpan[], name: string | RegExp) =>
  spans.filter((s) => (typeof name === 'string' ? s.name === name : name.test(s.name)));

function one(spans: CollectedSpan[], name: string | RegExp): CollectedSpan {
  const found = byName(spans, name);
  if (found.length !== 1)
    throw new Error(
      `expected one span ${name}, got ${found.length}:\n${renderTree(spans)}\n(all: ${spans.map((s) => s.name).join(', ')})`,
    );
  return found[0];
}

/** No exported byte holds the API key, a payload value or a query-string value. */
function expectNothingSecret(rx: OtlpReceiver): void {
  const all = rx.bodies.join('\n');
  expect(all).not.toContain(TEST_KEY);
  expect(all).not.toContain(SECRET_PAYLOAD);
  expect(all).not.toContain(QUERY_VALUE);
}

describe('tracing: one trace per journey, exported over OTLP from the bundled dist', () => {
  const rx = new OtlpReceiver();
  let fakes: EksFakes;
  let app: AppProcess;
  const names = ingestNames('trace');
  const queue = uniqueQueue('trace');
  const call = (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${app.base}${path}`, {
      method,
      headers: {
        'x-api-key': TEST_KEY,
        ...(body ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    });

  beforeAll(async () => {
    await rx.start();
    fakes = await startEksFakes();
    app = await spawnApp(
      otelEnv(rx.url, {
        ...fakes.env,
        ...names,
        ...FAST_CONSUMER,
        INGEST_AUTO_PROVISION: 'true',
        TASKS_QUEUE_NAME: queue,
        TASKS_BACKOFF_MS: '50',
        LOG_LEVEL: 'info',
      }),
    );
    await waitForStatus(`${app.base}/health/ready`, 200, 60_000);
  }, 90_000);

  afterAll(async () => {
    if (process.env.TRACE_DUMP)
      writeFileSync(
        process.env.TRACE_DUMP,
        JSON.stringify(rx.spans, (_, v) => (typeof v === 'bigint' ? String(v) : v), 1),
      );
    if (process.env.TRACE_DUMP)
      writeFileSync(`${process.env.TRACE_DUMP}.bodies`, rx.bodies.join('\n'));
    await stop(app);
    await fakes?.stop();
    await rx.stop();
  });

  it('a task: POST /v1/tasks → add (BullMQ) → one process span per attempt, all in one trace', async () => {
    const res = await call('POST', `/v1/tasks?note=${QUERY_VALUE}`, {
      type: 'sleep',
      payload: { ms: 0, failRuns: 1, error: SECRET_PAYLOAD },
      maxAttempts: 2,
    });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    const spans = await rx.waitFor(
      (all) => {
        const server = all.find((s) => s.name === 'POST /v1/tasks');
        return !!server && byName(rx.trace(server.traceId), /^process /).length === 2;
      },
      20_000,
      'task trace with two attempts',
    );
    const server = one(spans, 'POST /v1/tasks');
    const trace = rx.trace(server.traceId);
    expect(server.kind).toBe(SERVER);
    expect(server.parentSpanId).toBeUndefined();
    expect(server.attributes['http.route']).toBe('/v1/tasks');
    expect(server.resource).toMatchObject({
      'service.name': 'platform-api-test',
      'k8s.pod.name': 'api-0',
      'k8s.namespace.name': 'platform',
      'k8s.node.name': 'node-a',
    });
    const add = one(trace, `add ${queue}.sleep`);
    expect(add.kind).toBe(PRODUCER);
    expect(add.parentSpanId).toBe(server.spanId);
    expect(add.attributes['bullmq.job.id']).toBe(id);
    // The job carries the context: each attempt is a child of `add` (parent, not link: the
    // worker works for this request, and one trace shows the wait in the queue and every retry).
    const attempts = byName(trace, `process ${queue}`).sort((a, b) =>
      a.startNs < b.startNs ? -1 : 1,
    );
    expect(attempts.map((s) => [s.kind, s.parentSpanId, s.attributes['task.attempt']])).toEqual([
      [CONSUMER, add.spanId, 1],
      [CONSUMER, add.spanId, 2],
    ]);
    expect(attempts[0].attributes['task.id']).toBe(id);
    expect(attempts[0].status).toBe(2); // ERROR: the first run failed as asked
    // Redis commands under the spans of ours, by command name only.
    const redis = trace.filter(
      (s) => s.attributes['db.system'] === 'redis' || s.attributes['db.system.name'] === 'redis',
    );
    expect(redis.length).toBeGreaterThan(0);
    for (const s of redis) expect(s.kind).toBe(CLIENT);
    expectNothingSecret(rx);
  });

  it('an ingest message: POST → pack → SQS send → consumer store (linked) → DynamoDB write', async () => {
    const msgId = `trace-msg-${Date.now()}`;
    const res = await call('POST', '/v1/ingest/messages', {
      messages: [{ id: msgId, payload: { secret: SECRET_PAYLOAD } }],
    });
    expect(res.status).toBe(202);
    const spans = await rx.waitFor(
      (all) => {
        const server = all.find((s) => s.name === 'POST /v1/ingest/messages');
        return (
          !!server &&
          rx.trace(server.traceId).some((s) => s.name === 'ingest.store') &&
          rx
            .trace(server.traceId)
            .some(
              (s) =>
                s.attributes['db.operation.name'] === 'BatchWriteItem' ||
                s.name.includes('BatchWriteItem'),
            )
        );
      },
      20_000,
      'ingest trace down to DynamoDB',
    );
    const server = one(spans, 'POST /v1/ingest/messages');
    const trace = rx.trace(server.traceId);
    const pack = one(trace, 'ingest.pack');
    expect(pack.parentSpanId).toBe(server.spanId);
    expect(pack.attributes).toMatchObject({ 'ingest.messages': 1, 'ingest.packs': 1 });
    const send = one(trace, `${names.INGEST_QUEUE_NAME} send`);
    expect(send.kind).toBe(PRODUCER);
    expect(send.parentSpanId).toBe(server.spanId);
    const store = one(trace, 'ingest.store');
    expect(store.kind).toBe(CONSUMER);
    expect(store.parentSpanId).toBe(send.spanId); // the context carried in the message attributes
    expect(store.links.map((l) => [l.traceId, l.spanId])).toContainEqual([
      server.traceId,
      send.spanId,
    ]);
    const write = trace.find((s) => s.name.includes('BatchWriteItem'))!;
    expect(write.kind).toBe(CLIENT);
    expect(write.parentSpanId).toBe(store.spanId);
    // The receive span (AWS SDK instrumentation) is its own trace and links the message too.
    const receive = spans.find(
      (s) =>
        s.name === `${names.INGEST_QUEUE_NAME} receive` &&
        s.links.some((l) => l.spanId === send.spanId),
    );
    expect(receive?.kind).toBe(CONSUMER);
    expectNothingSecret(rx);
  });

  it('a pack of messages from several requests: the store links every message’s trace', async () => {
    // Packs from three POSTs sent before the consumer polls again usually land in one receive;
    // wait until some store span carries links to at least two traces.
    const servers: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await call('POST', '/v1/ingest/messages', {
        messages: [{ payload: { n: i } }, { payload: { n: i + 10 } }],
      });
      expect(r.status).toBe(202);
    }
    await rx.waitFor(
      (all) => all.filter((s) => s.name === 'POST /v1/ingest/messages').length >= 4,
      10_000,
    );
    for (const s of rx.spans) if (s.name === 'POST /v1/ingest/messages') servers.push(s.traceId);
    const stores = await rx.waitFor(
      (all) =>
        all.filter((s) => s.name === 'ingest.store' && servers.slice(-3).includes(s.traceId))
          .length > 0,
      20_000,
    );
    for (const store of stores.filter((s) => s.name === 'ingest.store')) {
      // Its own trace is the first message's; every message (SQS message = pack) is linked.
      expect(store.links.length).toBe(store.attributes['messaging.batch.message_count']);
      expect(store.links.map((l) => l.traceId)).toContain(store.traceId);
    }
  });

  it('an eks call: the HTTP span → policy check → the Kubernetes API requests', async () => {
    const res = await call('POST', '/v1/namespaces/shared-batch/jobs', {
      image: 'registry.example.com/tools/report:1.2',
      env: [{ name: 'TOKEN', value: SECRET_PAYLOAD }],
    });
    expect(res.status).toBe(201);
    const spans = await rx.waitFor(
      (all) => {
        const server = all.find((s) => s.name === 'POST /v1/namespaces/:ns/jobs');
        return !!server && rx.trace(server.traceId).some((s) => s.name === 'kube create jobs');
      },
      15_000,
      'eks trace',
    );
    const server = one(spans, 'POST /v1/namespaces/:ns/jobs');
    expect(server.attributes['http.route']).toBe('/v1/namespaces/:ns/jobs');
    const trace = rx.trace(server.traceId);
    const policy = one(trace, 'eks.policy_check');
    expect(policy.kind).toBe(INTERNAL);
    expect(policy.parentSpanId).toBe(server.spanId);
    expect(policy.attributes['eks.policy.violations']).toBe(0);
    const create = one(trace, 'kube create jobs');
    expect(create.kind).toBe(CLIENT);
    expect(create.parentSpanId).toBe(server.spanId);
    expect(create.attributes).toMatchObject({ 'k8s.verb': 'create', 'k8s.resource': 'jobs' });
    // The HTTP request to the API server (fetch, undici instrumentation) under it.
    const http = trace.filter((s) => s.parentSpanId === create.spanId && s.kind === CLIENT);
    expect(http.length).toBeGreaterThanOrEqual(1);
    expect(String(http[0].attributes['url.full'])).toContain(
      '/apis/batch/v1/namespaces/shared-batch/jobs',
    );
    expectNothingSecret(rx);
  });

  it('never names a span after a raw path, and drops query values', async () => {
    const res = await call('GET', `/v1/counters/trace-${Date.now()}?x=${QUERY_VALUE}`);
    expect(res.status).toBe(200);
    const spans = await rx.waitFor((all) => all.some((s) => s.name === 'GET /v1/counters/:name'));
    const server = one(spans, 'GET /v1/counters/:name');
    for (const v of Object.values(server.attributes)) expect(String(v)).not.toContain(QUERY_VALUE);
    expect(rx.spans.some((s) => /\/v1\/counters\/trace-/.test(s.name))).toBe(false);
    expectNothingSecret(rx);
  });

  it('log lines written inside a request carry its trace_id and span_id', async () => {
    const res = await call('GET', '/v1/counters/logged', undefined, {
      'x-request-id': 'trace-log-1',
    });
    expect(res.status).toBe(200);
    const spans = await rx.waitFor((all) =>
      all.some(
        (s) =>
          s.name === 'GET /v1/counters/:name' && s.attributes['url.path'] === '/v1/counters/logged',
      ),
    );
    const server = spans.find(
      (s) =>
        s.name === 'GET /v1/counters/:name' && s.attributes['url.path'] === '/v1/counters/logged',
    )!;
    const line = await waitFor('the access log line', async () =>
      app
        .output()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.requestId === 'trace-log-1' && l.msg === 'request completed'),
    );
    expect(line).toMatchObject({ trace_id: server.traceId, span_id: server.spanId });
  });

  it('/metrics in OpenMetrics carries exemplars with the trace id; the plain format is unchanged', async () => {
    await call('GET', '/v1/counters/exemplar');
    const server = (
      await rx.waitFor((all) =>
        all.some(
          (s) =>
            s.name === 'GET /v1/counters/:name' &&
            s.attributes['url.path'] === '/v1/counters/exemplar',
        ),
      )
    ).find((s) => s.attributes['url.path'] === '/v1/counters/exemplar')!;
    const om = await fetch(`${app.base}/metrics`, {
      headers: { accept: 'application/openmetrics-text; version=1.0.0' },
    });
    expect(om.headers.get('content-type')).toContain('application/openmetrics-text');
    const text = await om.text();
    expect(text).toMatch(
      /^http_request_duration_seconds_bucket\{[^}]*route="\/v1\/counters\/:name"[^}]*\} \d+ # \{trace_id="[0-9a-f]{32}"\}/m,
    );
    expect(text).toContain(`trace_id="${server.traceId}"`);
    expect(text.trimEnd().endsWith('# EOF')).toBe(true);
    const plain = await (await fetch(`${app.base}/metrics`)).text();
    expect(plain).toMatch(/^http_requests_total\{/m); // counters keep their names after an OM scrape
    expect(plain).not.toContain('trace_id=');
    expect(plain).toMatch(/^otel_sdk_processor_span_processed_total\{error_type=""\} [1-9]/m);
  });
});

describe('tracing: sampling', () => {
  const rx = new OtlpReceiver();
  let app: AppProcess;

  beforeAll(async () => {
    await rx.start();
    app = await spawnApp(
      otelEnv(rx.url, {
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: '0',
        INGEST_ENABLED: 'false',
      }),
    );
    await waitForStatus(`${app.base}/health/ready`, 200, 60_000);
  }, 90_000);

  afterAll(async () => {
    await stop(app);
    await rx.stop();
  });

  it('parentbased_traceidratio: ratio 0 drops new traces, a sampled incoming traceparent is continued', async () => {
    const get = (traceparent?: string) =>
      fetch(`${app.base}/v1/counters/sampled`, {
        headers: { 'x-api-key': TEST_KEY, ...(traceparent ? { traceparent } : {}) },
      });
    for (let i = 0; i < 20; i++) expect((await get()).status).toBe(200);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const parent = '00f067aa0ba902b7';
    expect((await get(`00-${traceId}-${parent}-01`)).status).toBe(200);
    expect((await get(`00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00`)).status).toBe(200);
    const spans = await rx.waitFor((all) => all.some((s) => s.name === 'GET /v1/counters/:name'));
    await new Promise((r) => setTimeout(r, 500)); // anything else would have been sent by now
    const servers = rx.spans.filter((s) => s.kind === SERVER);
    expect(servers).toHaveLength(1);
    expect(servers[0]).toMatchObject({ traceId, parentSpanId: parent });
    expect(spans.every((s) => s.traceId === traceId)).toBe(true);
  });
});

describe('tracing: the collector down or slow', () => {
  const rx = new OtlpReceiver();
  let app: AppProcess;

  beforeAll(async () => {
    await rx.start();
    app = await spawnApp(
      otelEnv(rx.url, {
        OTEL_BSP_MAX_QUEUE_SIZE: '64',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '16',
        OTEL_BSP_SCHEDULE_DELAY: '50',
        OTEL_EXPORTER_OTLP_TIMEOUT: '300',
        INGEST_ENABLED: 'false',
      }),
    );
    await waitForStatus(`${app.base}/health/ready`, 200, 60_000);
  }, 90_000);

  afterAll(async () => {
    await stop(app);
    await rx.stop();
  });

  const rssMb = () =>
    Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${app.child.pid}/status`, 'utf8'))![1]) / 1024;

  /** n requests, 8 at a time; the slowest one's time and the whole run's. */
  async function burst(n: number): Promise<{ totalMs: number; maxMs: number; bad: number }> {
    let next = 0;
    let maxMs = 0;
    let bad = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next++ < n) {
          const t = performance.now();
          const r = await fetch(`${app.base}/v1/counters/slow-collector`, {
            headers: { 'x-api-key': TEST_KEY },
          });
          await r.arrayBuffer();
          if (r.status !== 200) bad++;
          maxMs = Math.max(maxMs, performance.now() - t);
        }
      }),
    );
    return { totalMs: performance.now() - t0, maxMs, bad };
  }

  const dropped = async () => {
    const text = await (
      await fetch(`${app.base}/metrics?name=otel_sdk_processor_span_processed_total`)
    ).text();
    return Number(/error_type="queue_full"\} (\d+)/.exec(text)?.[1] ?? 0);
  };

  it('requests are neither slowed nor failed; spans are dropped and counted; memory stays bounded', async () => {
    await burst(200); // warm up
    const healthy = await burst(400);
    rx.mode = 'hang'; // accepts, never answers: every export runs into OTEL_EXPORTER_OTLP_TIMEOUT
    const rss0 = rssMb();
    const slow = await burst(400);
    await rx.stop(); // now refused outright
    const down = await burst(400);
    const more = await burst(1200);
    const rss1 = rssMb();
    console.log(
      `collector healthy ${healthy.totalMs.toFixed(0)} ms, hanging ${slow.totalMs.toFixed(0)} ms, ` +
        `down ${down.totalMs.toFixed(0)} ms for 400 requests; slowest ${Math.max(slow.maxMs, down.maxMs).toFixed(0)} ms; ` +
        `RSS ${rss0.toFixed(0)} → ${rss1.toFixed(0)} MB after 1600 more; dropped ${await dropped()}`,
    );
    expect(slow.bad + down.bad + more.bad).toBe(0);
    // Not slowed: the same burst takes about as long (generous bound: a shared, noisy machine).
    expect(slow.totalMs).toBeLessThan(healthy.totalMs * 3 + 1000);
    expect(down.totalMs).toBeLessThan(healthy.totalMs * 3 + 1000);
    // No request ever waits for an export (each would take the 300 ms timeout or more).
    expect(Math.max(slow.maxMs, down.maxMs)).toBeLessThan(1000);
    expect(await dropped()).toBeGreaterThan(0);
    // The queue is bounded (64 spans): 1600 more requests do not grow the process by much.
    expect(rss1 - rss0).toBeLessThan(60);
  }, 90_000);
});
