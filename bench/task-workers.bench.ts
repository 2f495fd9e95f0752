// External workers benchmark (docs/tasks.md "Benchmark: external workers"): tasks of an external type
// processed by HTTP workers (POST /v1/tasks/lease with max 10, then POST /v1/tasks/:id/complete one
// by one, or POST /v1/tasks/complete for the whole lease), against raw BullMQ (`Queue.add` +
// `Worker` with a no-op processor, concurrency = the number of HTTP worker loops) on the same Redis
// in the same run. What is timed is the processing: the tasks are queued first (untimed: ours through
// POST /v1/tasks/batch, the baseline with Queue.add from as many producers), then the clock runs
// from the first lease / the Worker's start until the last task is completed. Each side first drains
// an untimed warm-up of WARMUP tasks in the same process. ROUNDS rounds; in each, every mode runs
// right after a baseline run of its own, each on a flushed Redis and in a fresh process; a ratio is
// ours over the baseline just before it, and the result is the median of the rounds' ratios.
// Run after `npm run build`:
//   node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON bench/task-workers.bench.ts
// Env: BENCH_TASKS (5000), BENCH_WORKERS (8 worker loops), BENCH_ROUNDS (3), BENCH_MODES (single,batch).
import { Agent, request } from 'node:http';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { startRedis } from '../scripts/stack/index.ts';
import { baselineProcess, cpuSeconds, median, printedRate, startTaskApp } from './common.ts';

const N = Number(process.env.BENCH_TASKS ?? 5000);
const WARMUP = 1000;
const WORKERS = Number(process.env.BENCH_WORKERS ?? 8);
const LEASE_MAX = 10;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MODES = (process.env.BENCH_MODES ?? 'single,batch').split(',') as Mode[];
const KEY = 'bench-key-0123456789abcdef';
const PREFIX = 'platform:bull'; // what the app derives from REDIS_KEY_PREFIX=platform:
const TYPE = 'bench.work';
const PAYLOAD = { hello: 'world' };

type Mode = 'single' | 'batch';

const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;

/** A small keep-alive JSON client on node:http (one socket per worker loop). */
function client(port: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: WORKERS + 2 });
  return (
    path: string,
    body: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }> =>
    new Promise((resolve, reject) => {
      const data = JSON.stringify(body);
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path,
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(data),
            'x-api-key': KEY,
          },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
}

/** CPU µs per task, by process, of the last timed window of each side (printed per round). */
const cpu: { app: number; client: number; baseline: number } = { app: 0, client: 0, baseline: 0 };

function startApp(redisUrl: string) {
  // BENCH_PROF_DIR: a CPU profile of the app (node --cpu-prof), to see where a lease or complete goes.
  const prof = process.env.BENCH_PROF_DIR
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF_DIR}`]
    : [];
  return startTaskApp(
    redisUrl,
    KEY,
    {
      NODE_ENV: 'production',
      APP_ROLE: 'all',
      TASKS_QUEUE_NAME: 'bench-ext',
      TASKS_EXTERNAL_TYPES: TYPE,
      K8S_AUTH: 'disabled',
    },
    prof,
  );
}

/** Queues `n` tasks through the app's batch route (100 per request, 8 at a time). */
async function queueTasks(post: ReturnType<typeof client>, n: number): Promise<void> {
  let left = n;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (left > 0) {
        const k = Math.min(100, left);
        left -= k;
        const tasks = Array.from({ length: k }, () => ({ type: TYPE, payload: PAYLOAD }));
        const res = await post('/v1/tasks/batch', { tasks });
        if (res.status !== 202)
          throw new Error(`batch submit: ${res.status} ${JSON.stringify(res.json)}`);
      }
    }),
  );
}

/** WORKERS loops leasing up to 10 tasks until a lease comes back empty; answers the tasks completed. */
async function drain(post: ReturnType<typeof client>, mode: Mode): Promise<number> {
  let done = 0;
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      for (;;) {
        const lease = await post('/v1/tasks/lease', {
          types: [TYPE],
          max: LEASE_MAX,
          waitSeconds: 0,
          leaseSeconds: 60,
        });
        if (lease.status !== 200)
          throw new Error(`lease: ${lease.status} ${JSON.stringify(lease.json)}`);
        const items = lease.json.items as Array<{
          task: { id: string; payload: unknown };
          leaseToken: string;
        }>;
        if (items.length === 0) return;
        if (mode === 'single') {
          for (const { task, leaseToken } of items) {
            const res = await post(`/v1/tasks/${task.id}/complete`, {
              leaseToken,
              result: task.payload,
            });
            if (res.status !== 200)
              throw new Error(`complete: ${res.status} ${JSON.stringify(res.json)}`);
            done++;
          }
        } else {
          const res = await post('/v1/tasks/complete', {
            items: items.map(({ task, leaseToken }) => ({
              id: task.id,
              leaseToken,
              result: task.payload,
            })),
          });
          if (res.status !== 200)
            throw new Error(`batch complete: ${res.status} ${JSON.stringify(res.json)}`);
          for (const item of res.json.items as Array<{ status?: string; error?: unknown }>) {
            if (item.status !== 'completed')
              throw new Error(`batch complete item: ${JSON.stringify(item)}`);
            done++;
          }
        }
      }
    }),
  );
  return done;
}

async function ours(redisUrl: string, mode: Mode): Promise<number> {
  const app = startApp(redisUrl);
  try {
    const post = client(await app.port);
    await queueTasks(post, WARMUP);
    if ((await drain(post, mode)) !== WARMUP)
      throw new Error('warm-up: not every task was completed');
    await queueTasks(post, N);
    const [app0, client0] = [cpuSeconds(app.pid()), process.cpuUsage()];
    const t0 = performance.now();
    const done = await drain(post, mode);
    const seconds = (performance.now() - t0) / 1000;
    cpu.app = ((cpuSeconds(app.pid()) - app0) * 1e6) / N;
    const c = process.cpuUsage(client0);
    cpu.client = (c.user + c.system) / N;
    if (done !== N) throw new Error(`only ${done}/${N} tasks completed`);
    return N / seconds;
  } finally {
    await app.stop();
  }
}

/** The baseline, in a fresh process of its own like ours (so neither inherits the other's JIT warmth). */
async function baselineRate(redisUrl: string): Promise<number> {
  const out = await baselineProcess('task-workers.bench.ts', redisUrl);
  cpu.baseline = Number(/^cpu (\S+)$/m.exec(out)?.[1]);
  return printedRate(out);
}

/** Raw BullMQ: the same tasks queued by Queue.add, drained by a Worker of the same concurrency. */
async function baseline(redisUrl: string): Promise<number> {
  const queue = new Queue('bench-raw', { connection: { url: redisUrl }, prefix: PREFIX });
  const produce = async (amount: number) => {
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < amount) {
          next++;
          await queue.add('bench.work', PAYLOAD, {
            priority: 5,
            attempts: 3,
            removeOnComplete: { age: 86400, count: 100000 },
          });
        }
      }),
    );
  };
  const run = async (amount: number) => {
    let completed = 0;
    let t0 = 0;
    let t1 = 0;
    await new Promise<void>((resolve) => {
      const worker = new Worker('bench-raw', async (job) => job.data, {
        connection: { url: redisUrl, maxRetriesPerRequest: null },
        prefix: PREFIX,
        concurrency: WORKERS,
        autorun: false,
      });
      worker.on('completed', () => {
        if (++completed !== amount) return;
        t1 = performance.now(); // the clock stops at the last completion, not after close()
        void worker.close().then(() => resolve());
      });
      t0 = performance.now();
      void worker.run();
    });
    return amount / ((t1 - t0) / 1000);
  };
  await produce(WARMUP);
  await run(WARMUP);
  await produce(N);
  const c0 = process.cpuUsage();
  const rate = await run(N);
  const c = process.cpuUsage(c0);
  console.log(`cpu ${(c.user + c.system) / N}`);
  await queue.close();
  return rate;
}

async function main(): Promise<void> {
  const redis = await startRedis();
  const admin = new Redis(redis.url);
  const fresh = async <T>(run: () => Promise<T>): Promise<T> => {
    await admin.flushall();
    return run();
  };
  try {
    console.log(
      `task workers: ${N} tasks, ${WORKERS} HTTP worker loops leasing ${LEASE_MAX} (baseline: Worker concurrency ${WORKERS}), ${ROUNDS} rounds`,
    );
    // This machine's speed drifts by tens of percent within seconds (other work shares its two
    // cores), so each of ours runs right after a baseline of its own, and each ratio is ours over
    // the baseline just before it.
    const bases: Record<Mode, number[]> = { single: [], batch: [] };
    const mine: Record<Mode, number[]> = { single: [], batch: [] };
    for (let i = 0; i < ROUNDS; i++) {
      const line = [`  round ${i + 1}:`];
      for (const mode of MODES) {
        bases[mode].push(await fresh(() => baselineRate(redis.url)));
        mine[mode].push(await fresh(() => ours(redis.url, mode)));
        line.push(
          `baseline ${r1(bases[mode][i])} (${Math.round(cpu.baseline)} µs CPU/task), ours ${mode === 'single' ? 'complete one by one' : 'batch complete'} ${r1(mine[mode][i])} tasks/s (app ${Math.round(cpu.app)} + client ${Math.round(cpu.client)} µs CPU/task), ratio ${r2(mine[mode][i] / bases[mode][i])};`,
        );
      }
      console.log(line.join(' '));
    }
    const ratios = (mode: Mode) => mine[mode].map((m, i) => m / bases[mode][i]);
    // Headline: batch complete when it ran (the shape a busy worker should use), else one by one.
    const head: Mode = MODES.includes('batch') ? 'batch' : 'single';
    console.log(
      JSON.stringify({
        bench: 'task-workers',
        ours: r1(median(mine[head])),
        baseline: r1(median(MODES.flatMap((m) => bases[m]))),
        unit: 'tasks/s',
        ratio: r2(median(ratios(head))),
        target: 0.5,
        ...Object.fromEntries(
          MODES.flatMap((m) => [
            [`ratio_${m}`, r2(median(ratios(m)))],
            [`round_ratios_${m}`, ratios(m).map(r2)],
          ]),
        ),
      }),
    );
  } finally {
    await admin.quit();
    await redis.stop();
  }
}

if (process.argv[2] === '--baseline') {
  void baseline(process.argv[3]).then((rate) => console.log(`rate ${rate}`));
} else {
  void main();
}
