// Tasks benchmark: no-op (`echo`) tasks submitted over HTTP and completed by the app's workers,
// end to end, against raw BullMQ (Queue.add + Worker, same concurrency) on the same Redis in the
// same run. Both sides get a warm-up round first (a serving process is warm), and the clock stops
// when the last task completes, not when the load generator returns: autocannon only notices that
// an `amount` is reached on its 1 s tick, which would round ours up to whole seconds.
// Run after `npm run build`:
//   node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON bench/tasks.bench.ts
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Queue, Worker } from 'bullmq';
import { freePort, startRedis } from '../scripts/stack/index.ts';

const N = Number(process.env.BENCH_TASKS ?? 10000);
const WARMUP = 2000;
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 20);
const CONNECTIONS = 32;
const KEY = 'bench-key-0123456789abcdef';
const PREFIX = 'platform:bull'; // what the app derives from REDIS_KEY_PREFIX=platform:

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitCompleted(
  queue: Queue,
  n: number,
  timeoutMs: number,
  failed?: () => string | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await queue.getJobCounts('completed')).completed < n) {
    const why = failed?.();
    if (why) throw new Error(why);
    if (Date.now() > deadline)
      throw new Error(`only ${(await queue.getJobCounts('completed')).completed}/${n} completed`);
    await sleep(10);
  }
}

async function ours(redisUrl: string): Promise<number> {
  const port = await freePort();
  const app = spawn(
    process.execPath,
    [join(process.cwd(), 'dist', 'main.js') /* run from the repo root */],
    {
      env: {
        ...process.env,
        APP_ROLE: 'all',
        PORT: String(port),
        HOST: '127.0.0.1',
        REDIS_URL: redisUrl,
        API_KEYS: KEY,
        RATE_LIMITS: 'default=1000000000,anonymous=1000000000', // limits on, out of the way
        TASKS_QUEUE_NAME: 'bench-ours',
        TASKS_CONCURRENCY: String(CONCURRENCY),
        TASKS_RETENTION_COUNT: '100000', // every benchmarked task stays countable (baseline: the same)
        INGEST_ENABLED: 'false',
        LOG_LEVEL: 'warn',
        LOG_REQUESTS: 'false',
        SHUTDOWN_DELAY_MS: '0',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  try {
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 300) throw new Error('app did not become ready');
      await sleep(100);
    }
    const queue = new Queue('bench-ours', { connection: { url: redisUrl }, prefix: PREFIX });
    const submit = (amount: number) => {
      let outcome: string | undefined;
      const run = autocannon({
        url: `http://127.0.0.1:${port}/v1/tasks`,
        method: 'POST',
        connections: CONNECTIONS,
        amount,
        headers: { 'content-type': 'application/json', 'x-api-key': KEY },
        body: JSON.stringify({ type: 'echo', payload: { hello: 'world' } }),
      }).then((r) => {
        if (r['2xx'] !== amount)
          outcome = `only ${r['2xx']} of ${amount} submissions were accepted (non2xx ${r.non2xx}, errors ${r.errors})`;
      });
      return { run, failed: () => outcome };
    };
    const warm = submit(WARMUP);
    await waitCompleted(queue, WARMUP, 120_000, warm.failed);
    await warm.run;
    const t0 = performance.now();
    const timed = submit(N);
    await waitCompleted(queue, WARMUP + N, 120_000, timed.failed);
    const seconds = (performance.now() - t0) / 1000;
    await timed.run;
    if (timed.failed()) throw new Error(timed.failed());
    await queue.close();
    return N / seconds;
  } finally {
    app.kill('SIGTERM');
    await new Promise((r) => app.once('exit', r));
  }
}

async function baseline(redisUrl: string): Promise<number> {
  const queue = new Queue('bench-raw', { connection: { url: redisUrl }, prefix: PREFIX });
  const worker = new Worker('bench-raw', async (job) => job.data, {
    connection: { url: redisUrl, maxRetriesPerRequest: null },
    prefix: PREFIX,
    concurrency: CONCURRENCY,
  });
  // Same shape of load as the HTTP side: CONNECTIONS producers adding one task at a time.
  const produce = async (amount: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (next < amount) {
          next++;
          await queue.add(
            'echo',
            { hello: 'world' },
            { priority: 5, attempts: 3, removeOnComplete: { age: 86400, count: 100000 } },
          );
        }
      }),
    );
  };
  await produce(WARMUP);
  await waitCompleted(queue, WARMUP, 120_000);
  const t0 = performance.now();
  await produce(N);
  await waitCompleted(queue, WARMUP + N, 120_000);
  const seconds = (performance.now() - t0) / 1000;
  await worker.close();
  await queue.close();
  return N / seconds;
}

async function main(): Promise<void> {
  const redis = await startRedis();
  try {
    const base = await baseline(redis.url);
    const mine = await ours(redis.url);
    const r = (x: number) => Math.round(x * 10) / 10;
    console.log(
      `tasks: ${N} echo tasks, worker concurrency ${CONCURRENCY}, ${CONNECTIONS} producers`,
    );
    console.log(`  ours (HTTP submit → app workers):   ${r(mine)} tasks/s`);
    console.log(`  baseline (Queue.add → Worker):      ${r(base)} tasks/s`);
    console.log(
      JSON.stringify({
        bench: 'tasks',
        ours: r(mine),
        baseline: r(base),
        unit: 'tasks/s',
        ratio: Math.round((mine / base) * 100) / 100,
        target: 0.7,
      }),
    );
  } finally {
    await redis.stop();
  }
}

void main();
