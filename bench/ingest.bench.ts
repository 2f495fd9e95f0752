/**
 * Ingest throughput: messages/s from the first POST until the last item is stored.
 *   ours:     the app (`node dist/main.js`, role all): POST /v1/ingest/messages (50 per request),
 *             SendMessageBatch, consumers store with BatchWriteItem.
 *   baseline: the seed's design, an HTTP handler that per request does SendMessage → ReceiveMessage
 *             → PutItem → DeleteMessage (one message per request; its API takes no more).
 * Same emulators, same messages, same load generator (concurrency, payload); every subject gets an
 * untimed warm-up first. The headline is ours as one process (APP_ROLE=all), like the baseline;
 * also printed: ours as the chart deploys it (an api and a worker process; on two shared cores
 * the extra process costs more than it gives), and with one message per request, to show what
 * batching contributes.
 * Run after `npm run build`:
 *   node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON bench/ingest.bench.ts
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { freePort, newDevKey, startStack, waitForPort } from '../scripts/stack/index.ts';

const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 5000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const PER_REQUEST = 50;
const PAYLOAD = {
  customer: 'c-1',
  items: [
    { sku: 'a', qty: 2 },
    { sku: 'b', qty: 1 },
  ],
  note: 'x'.repeat(200),
};
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';

if (process.argv[2] === '--baseline-server') void baselineServer();
else void main();

/** The seed's handler: one request = send, receive (whatever comes), store, delete. */
async function baselineServer(): Promise<void> {
  const sqs = new SQSClient({ region, credentials, endpoint: process.env.AWS_ENDPOINT_URL_SQS });
  const ddb = new DynamoDBClient({
    region,
    credentials,
    endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB,
  });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'bench-baseline' }));
  await ddb.send(
    new CreateTableCommand({
      TableName: 'bench-baseline',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
    }),
  );
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      try {
        const body = Buffer.concat(chunks).toString();
        await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: body }));
        const got = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
        );
        const m = got.Messages?.[0];
        if (!m) {
          res.writeHead(400).end('{"error":"no message"}');
          return;
        }
        const data = JSON.parse(m.Body ?? '{}');
        await ddb.send(
          new PutItemCommand({
            TableName: 'bench-baseline',
            Item: { id: { S: String(data.id ?? randomUUID()) }, data: { S: m.Body ?? '' } },
          }),
        );
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ status: 'success', data }));
      } catch (e) {
        res.writeHead(500).end(String(e));
      }
    });
  });
  server.listen(Number(process.env.PORT), '127.0.0.1');
}

/** Request latencies (ms) of the last load(), for its p99. */
let latencies: number[] = [];

/** CONCURRENCY loops sending the prepared request bodies, in order, until none are left. */
async function load(
  url: string,
  headers: Record<string, string>,
  bodies: string[],
): Promise<number> {
  let next = 0;
  let failures = 0;
  latencies = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++];
        const t0 = performance.now();
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
        });
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status >= 300) failures++;
      }
    }),
  );
  return failures;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

async function storedCount(
  doc: DynamoDBDocumentClient,
  table: string,
  prefix: string,
): Promise<number> {
  let total = 0;
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const out = await doc.send(
      new ScanCommand({
        TableName: table,
        Select: 'COUNT',
        FilterExpression: 'begins_with(#id, :p)',
        ExpressionAttributeNames: { '#id': 'id' },
        ExpressionAttributeValues: { ':p': prefix },
        ExclusiveStartKey,
      }),
    );
    total += out.Count ?? 0;
    ExclusiveStartKey = out.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return total;
}

/**
 * messages/s from the first request until all MESSAGES are stored. `stored` must be cheap (it is
 * polled every 20 ms): the baseline stores before answering, ours reports through its metrics. A
 * table count afterwards checks both.
 */
async function run(
  name: string,
  doc: DynamoDBDocumentClient,
  table: string,
  prefix: string,
  send: () => Promise<number>,
  stored: () => Promise<number>,
  appBase?: string,
): Promise<{ rate: number; acceptRate: number; p50: number; p99: number; cpuUs: number }> {
  const cpu0 = appBase ? await appCpuSeconds(appBase) : NaN;
  const t0 = performance.now();
  const failures = await send();
  const sent = performance.now() - t0;
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  if (failures) throw new Error(`${name}: ${failures} requests failed`);
  while ((await stored()) < MESSAGES) await new Promise((r) => setTimeout(r, 20));
  const ms = performance.now() - t0;
  const count = await storedCount(doc, table, prefix);
  if (count !== MESSAGES) throw new Error(`${name}: ${count} items stored, expected ${MESSAGES}`);
  const rate = MESSAGES / (ms / 1000);
  // The app's CPU (user + system, all its threads) per message, from POSTs to stored.
  const cpuUs = appBase ? (((await appCpuSeconds(appBase)) - cpu0) * 1e6) / MESSAGES : NaN;
  console.log(
    `${name}: ${MESSAGES} messages, requests done in ${sent.toFixed(0)} ms (p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms), all stored in ${ms.toFixed(0)} ms = ${rate.toFixed(0)} msg/s${appBase ? `, app CPU ${cpuUs.toFixed(0)} µs/message` : ''}`,
  );
  return { rate, acceptRate: MESSAGES / (sent / 1000), p50, p99, cpuUs };
}

async function appCpuSeconds(base: string): Promise<number> {
  const text = await (
    await fetch(
      // prom-client updates the three CPU counters when the user one is collected.
      `${base}/metrics?name=process_cpu_user_seconds_total&name=process_cpu_seconds_total`,
    )
  ).text();
  return Number(/^process_cpu_seconds_total (\S+)/m.exec(text)?.[1] ?? NaN);
}

/** Untimed: the same kind of traffic first, so every subject is measured warm (JIT, connections). */
async function warmUp(
  send: () => Promise<number>,
  stored: () => Promise<number>,
  n: number,
): Promise<void> {
  if (await send()) throw new Error('warm-up requests failed');
  while ((await stored()) < n) await new Promise((r) => setTimeout(r, 20));
}

/**
 * ingest_messages_total{stage="stored"} of the app, read alone (?name=): a full scrape 50 times
 * a second would cost the app ~15 % of a core, which the baseline does not pay.
 */
async function storedMetric(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics?name=ingest_messages_total`)).text();
  return Number(/^ingest_messages_total\{stage="stored"\} (\d+)/m.exec(text)?.[1] ?? 0);
}

function child(args: string[], env: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Starts the app in one role; resolves with its base URL once ready, and a stop(). */
async function startApp(role: string, env: Record<string, string>, table: string) {
  const port = await freePort();
  const proc = child(['dist/main.js'], {
    ...env,
    RATE_LIMITS: 'default=1000000000,anonymous=1000000000', // limits on, out of the way
    PORT: String(port),
    HOST: '127.0.0.1',
    APP_ROLE: role,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    LOG_REQUESTS: 'false',
    INGEST_QUEUE_NAME: table,
    INGEST_DLQ_NAME: `${table}-dlq`,
    INGEST_TABLE_NAME: table,
    // local-aws-sqs holds a batch receive until it has 10 messages or the wait ends, where real
    // SQS answers as soon as it has messages: the tail of every run would wait out the long
    // poll. Wait 0 is the emulator's closest match to SQS (it answers within 40 ms).
    INGEST_WAIT_TIME_SECONDS: process.env.BENCH_WAIT_TIME_SECONDS ?? '0',
    ...(process.env.INGEST_CONSUMERS ? { INGEST_CONSUMERS: process.env.INGEST_CONSUMERS } : {}),
  });
  const base = `http://127.0.0.1:${port}`;
  await waitForPort(port, 20_000);
  await waitReady(`${base}/health/ready`);
  const stop = () =>
    new Promise<void>((r) => {
      if (proc.exitCode !== null) return r();
      proc.once('exit', () => r());
      proc.kill('SIGTERM');
    });
  return { base, stop };
}

async function main(): Promise<void> {
  const stack = await startStack();
  const stops: Array<() => Promise<void>> = [];
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region, credentials, endpoint: stack.env.AWS_ENDPOINT_URL_DYNAMODB }),
  );
  try {
    const key = newDevKey();
    const env = { ...stack.env, API_KEYS: key };
    const basePort = await freePort();
    const baseProc = child(
      [
        '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON',
        'bench/ingest.bench.ts',
        '--baseline-server',
      ],
      {
        ...stack.env,
        PORT: String(basePort),
      },
    );
    stops.push(
      () =>
        new Promise<void>((r) =>
          baseProc.exitCode !== null
            ? r()
            : (baseProc.once('exit', () => r()), baseProc.kill('SIGTERM')),
        ),
    );
    await waitForPort(basePort, 20_000);

    const ids = (p: string) => Array.from({ length: MESSAGES }, (_, i) => `${p}${i}`);
    const batchedBodies = (p: string) => {
      const out: string[] = [];
      const b = ids(p);
      for (let i = 0; i < b.length; i += PER_REQUEST) {
        out.push(
          JSON.stringify({
            messages: b
              .slice(i, i + PER_REQUEST)
              .map((id) => ({ id, payload: { id, ...PAYLOAD } })),
          }),
        );
      }
      return out;
    };
    const single = ids('s-').map((id) =>
      JSON.stringify({ messages: [{ id, payload: { id, ...PAYLOAD } }] }),
    );
    const seed = ids('x-').map((id) => JSON.stringify({ id, ...PAYLOAD }));
    const auth = { 'x-api-key': key };
    const WARM = Math.min(1000, MESSAGES);
    const warmSeed = Array.from({ length: WARM / 4 }, (_, i) =>
      JSON.stringify({ id: `wx-${i}`, ...PAYLOAD }),
    );
    const warmBatched = (p: string) => batchedBodies(p).slice(0, WARM / PER_REQUEST);
    const warmSingle = (p: string) =>
      ids(p)
        .slice(0, WARM)
        .map((id) => JSON.stringify({ messages: [{ id, payload: { id, ...PAYLOAD } }] }));

    await warmUp(
      () => load(`http://127.0.0.1:${basePort}/process_message`, {}, warmSeed),
      async () => Infinity,
      0,
    );
    const baseline = await run(
      'baseline (seed design)',
      doc,
      'bench-baseline',
      'x-',
      () => load(`http://127.0.0.1:${basePort}/process_message`, {}, seed),
      async () => MESSAGES, // every 200 was stored before it was answered
    );

    // "Before": one message per request with coalescing off by configuration, as every request
    // was sent before INGEST_COALESCE_WINDOW_MS (its own pack, its own SendMessageBatch).
    const off = await startApp('all', { ...env, INGEST_COALESCE_WINDOW_MS: '0' }, 'bench-off');
    stops.push(off.stop);
    await warmUp(
      () => load(`${off.base}/v1/ingest/messages`, auth, warmSingle('wo-')),
      () => storedMetric(off.base),
      WARM,
    );
    let before = await storedMetric(off.base);
    const oursSingleOff = await run(
      'ours (all-in-one), 1 message/request, coalescing off',
      doc,
      'bench-off',
      's-',
      () => load(`${off.base}/v1/ingest/messages`, auth, single),
      async () => (await storedMetric(off.base)) - before,
      off.base,
    );
    await off.stop();

    // Ours as one process (APP_ROLE=all), e.g. `npm run local`, default configuration.
    const all = await startApp('all', env, 'bench-all');
    stops.push(all.stop);
    await warmUp(
      () => load(`${all.base}/v1/ingest/messages`, auth, warmSingle('wc-')),
      () => storedMetric(all.base),
      WARM,
    );
    await warmUp(
      () => load(`${all.base}/v1/ingest/messages`, auth, warmBatched('wa-')),
      () => storedMetric(all.base),
      2 * WARM,
    );
    before = await storedMetric(all.base);
    const sumsBefore = await coalesceSums(all.base);
    const oursSingle = await run(
      'ours (all-in-one), 1 message/request, coalesced',
      doc,
      'bench-all',
      's-',
      () => load(`${all.base}/v1/ingest/messages`, auth, single),
      async () => (await storedMetric(all.base)) - before,
      all.base,
    );
    const coalescing = coalesceSummary(sumsBefore, await coalesceSums(all.base));
    before = await storedMetric(all.base);
    const oursAll = await run(
      `ours (all-in-one), ${PER_REQUEST} messages/request`,
      doc,
      'bench-all',
      'b-',
      () => load(`${all.base}/v1/ingest/messages`, auth, batchedBodies('b-')),
      async () => (await storedMetric(all.base)) - before,
      all.base,
    );
    await all.stop();

    // Ours as the chart deploys it (worker.enabled: true): an api process and a worker process.
    const api = await startApp('api', env, 'bench-split');
    const worker = await startApp('worker', env, 'bench-split');
    stops.push(api.stop, worker.stop);
    await warmUp(
      () => load(`${api.base}/v1/ingest/messages`, auth, warmBatched('ws-')),
      () => storedMetric(worker.base),
      WARM,
    );
    before = await storedMetric(worker.base);
    const oursSplit = await run(
      `ours (api + worker), ${PER_REQUEST} messages/request`,
      doc,
      'bench-split',
      'b-',
      () => load(`${api.base}/v1/ingest/messages`, auth, batchedBodies('b-')),
      async () => (await storedMetric(worker.base)) - before,
    );

    const round = (n: number) => Math.round(n * 10) / 10;
    const base = baseline.rate;
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const x = (n: number) => `${round(n)}×`;
    console.log(`
| shape | messages/s, first POST to last stored | vs the seed design |
|---|---|---|
| seed design (send, receive, put, delete per request) | ${fmt(base)} | 1 |
| ours, 1 message per request (${CONCURRENCY} connections), coalescing off | ${fmt(oursSingleOff.rate)} | ${x(oursSingleOff.rate / base)} |
| ours, 1 message per request, coalesced (${CONCURRENCY} connections) | ${fmt(oursSingle.rate)} | ${x(oursSingle.rate / base)} |
| ours, ${PER_REQUEST} messages per request | ${fmt(oursAll.rate)} | ${x(oursAll.rate / base)} |

1 message per request, coalesced: ${(oursSingle.rate / oursAll.rate).toFixed(2)} of the ${PER_REQUEST}-per-request rate (target ≥ 0.5), ${x(oursSingle.rate / base)} the seed design (target ≥ 10×)
single-message POST at ${CONCURRENCY} connections: p99 ${oursSingleOff.p99.toFixed(1)} ms before (coalescing off), ${oursSingle.p99.toFixed(1)} ms after = ${(oursSingle.p99 / oursSingleOff.p99).toFixed(2)}× (target ≤ 2×); p50 ${oursSingleOff.p50.toFixed(1)} → ${oursSingle.p50.toFixed(1)} ms
coalesced, in that run: ${coalescing}
app CPU per message (POST to stored): ${oursSingleOff.cpuUs.toFixed(0)} µs 1 per request uncoalesced, ${oursSingle.cpuUs.toFixed(0)} µs coalesced, ${oursAll.cpuUs.toFixed(0)} µs ${PER_REQUEST} per request
`);
    console.log(
      JSON.stringify({
        bench: 'ingest',
        ours: round(oursAll.rate),
        baseline: round(base),
        unit: 'messages/s',
        ratio: round(oursAll.rate / base),
        target: 10,
        ours_api_worker: round(oursSplit.rate),
        ratio_api_worker: round(oursSplit.rate / base),
        ours_accept_only: round(oursAll.acceptRate),
        ours_one_per_request: round(oursSingle.rate),
        ratio_one_per_request: round(oursSingle.rate / base),
        one_per_request_vs_batched: Math.round((oursSingle.rate / oursAll.rate) * 100) / 100,
        ours_one_per_request_uncoalesced: round(oursSingleOff.rate),
        ratio_one_per_request_uncoalesced: round(oursSingleOff.rate / base),
        p99_one_per_request_ms: round(oursSingle.p99),
        p99_one_per_request_uncoalesced_ms: round(oursSingleOff.p99),
        messages: MESSAGES,
        concurrency: CONCURRENCY,
      }),
    );
  } finally {
    await Promise.all(stops.map((stop) => stop()));
    doc.destroy();
    await stack.stop();
  }
}

/** Sums of the coalescing histograms in /metrics (all label sets). */
async function coalesceSums(base: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const sum = (name: string) =>
    [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
  return Object.fromEntries(
    [
      'ingest_coalesced_batch_requests_count',
      'ingest_coalesced_batch_requests_sum',
      'ingest_coalesced_batch_messages_sum',
      'ingest_coalesce_wait_seconds_sum',
      'ingest_coalesce_wait_seconds_count',
    ].map((n) => [n, sum(n)]),
  );
}

/** What the coalescer formed between two coalesceSums(). */
function coalesceSummary(a: Record<string, number>, b: Record<string, number>): string {
  const d = (n: string) => b[n] - a[n];
  const batches = d('ingest_coalesced_batch_requests_count');
  if (!batches) return 'none';
  const messages = d('ingest_coalesced_batch_messages_sum') / batches;
  const requests = d('ingest_coalesced_batch_requests_sum') / batches;
  const waitMs =
    (d('ingest_coalesce_wait_seconds_sum') / d('ingest_coalesce_wait_seconds_count')) * 1000;
  return `${batches} batches, mean ${messages.toFixed(1)} messages from ${requests.toFixed(1)} requests, mean wait in the window ${waitMs.toFixed(2)} ms`;
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} not ready`);
}
