// Scaling benchmark (docs/scaling.md), all on this machine in one run:
//  1. counters: POST /v1/counters/:name/increment over 256 names (spread over every shard) on the
//     app in standalone mode (one redis-server) and in cluster mode (a real 6-node Redis Cluster,
//     3 primaries + 3 replicas), the latter with REDIS_WAIT_REPLICAS=0 and 1. One app process per
//     variant, loaded one at a time in short alternating rounds; per round the ratios
//     cluster/standalone and wait1/wait0; the medians are the result. Also the CPU each side spends
//     per increment: the app process (/proc) and each Redis primary (INFO cpu), which is what the
//     per-shard and per-pod capacities on paper are made of.
//  2. tasks: end-to-end tasks/s (submitted by batches of 50, completed by the app's workers) on the
//     cluster with TASKS_QUEUE_SHARDS=1 against 3, types spread so that each of the 3 queues gets a
//     share; per-round ratio, median.
// Run after `npm run build`:
//   node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON bench/scaling.bench.ts
// Env: BENCH_ROUNDS (5), BENCH_ROUND_S (3), BENCH_CONNECTIONS (50), BENCH_TASKS (3000 per round),
// BENCH_PARTS (counters,tasks).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { loadavg } from 'node:os';
import autocannon from 'autocannon';
import { freePort, startRedis, waitForPort } from '../scripts/stack/index.ts';
import { startRedisCluster } from '../scripts/stack/redis-cluster.ts';
import { cpuSeconds, median, sleep } from './common.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const ROUND_S = Number(process.env.BENCH_ROUND_S ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const TASKS = Number(process.env.BENCH_TASKS ?? 3000);
const PARTS = (process.env.BENCH_PARTS ?? 'counters,tasks').split(',');
const NAMES = 256;
const KEY = 'bench-key-0123456789abcdef';

const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** CPU seconds a redis-server has used (INFO cpu). */
function cpuOf(port: number, cli: (p: number, ...a: string[]) => string): number {
  const info = cli(port, 'info', 'cpu');
  const num = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(info)?.[1] ?? 0);
  return num('used_cpu_sys') + num('used_cpu_user');
}

interface App {
  name: string;
  port: number;
  child: ChildProcess;
}

async function startApp(name: string, env: Record<string, string>): Promise<App> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      API_KEYS: KEY,
      LOG_LEVEL: 'warn',
      LOG_REQUESTS: 'false',
      INGEST_ENABLED: 'false',
      K8S_AUTH: 'disabled',
      SHUTDOWN_DELAY_MS: '0',
      RATE_LIMITS: 'default=1000000000,anonymous=1000000000',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitForPort(port, 30_000);
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (i > 300) throw new Error(`${name} did not become ready`);
    await sleep(100);
  }
  return { name, port, child };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface Round {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  appCpu: number;
  /** CPU seconds of each Redis primary (port → s) during the round. */
  redisCpu: Map<number, number>;
}

/** Increments spread over NAMES counter names for `seconds`. */
async function load(app: App, seconds: number, redisCpu: () => Map<number, number>) {
  let i = 0;
  const cpu0 = cpuSeconds(app.child.pid);
  const r0 = redisCpu();
  const r = await autocannon({
    url: `http://127.0.0.1:${app.port}`,
    connections: CONNECTIONS,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'x-api-key': KEY },
        setupRequest: (req) => ({ ...req, path: `/v1/counters/c${i++ % NAMES}/increment` }),
      },
    ],
  });
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad > 0) throw new Error(`${app.name}: ${bad} failed requests out of ${r.requests.total}`);
  const r1 = redisCpu();
  const round: Round = {
    rps: r.requests.total / r.duration,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests: r.requests.total,
    appCpu: cpuSeconds(app.child.pid) - cpu0,
    redisCpu: new Map([...r1].map(([port, s]) => [port, s - (r0.get(port) ?? 0)])),
  };
  return round;
}

async function counters(): Promise<Record<string, unknown>> {
  const redis = await startRedis();
  const cluster = await startRedisCluster();
  const apps: App[] = [];
  try {
    await cluster.waitOk();
    const primaries = [...new Set(cluster.slotRanges().map((r) => r.port))];
    const standaloneCli = (port: number, ...args: string[]) =>
      spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout;
    const standalonePort = Number(new URL(redis.url).port);
    const cpuStandalone = () => new Map([[standalonePort, cpuOf(standalonePort, standaloneCli)]]);
    const cpuCluster = () => new Map(primaries.map((p) => [p, cpuOf(p, cluster.cli)]));
    const clusterEnv = { REDIS_MODE: 'cluster', REDIS_URL: cluster.url };
    const variants: Array<{ app: App; cpu: () => Map<number, number> }> = [
      {
        app: await startApp('standalone', { REDIS_URL: redis.url }),
        cpu: cpuStandalone,
      },
      { app: await startApp('cluster wait 0', clusterEnv), cpu: cpuCluster },
      {
        app: await startApp('cluster wait 1', { ...clusterEnv, REDIS_WAIT_REPLICAS: '1' }),
        cpu: cpuCluster,
      },
    ];
    apps.push(...variants.map((v) => v.app));
    for (const v of variants) await load(v.app, 2, v.cpu); // warm-up
    const rounds = new Map(variants.map((v) => [v.app.name, [] as Round[]]));
    const loads: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      loads.push(loadavg()[0]);
      for (const v of variants) rounds.get(v.app.name)!.push(await load(v.app, ROUND_S, v.cpu));
    }
    const [s, c0, c1] = variants.map((v) => rounds.get(v.app.name)!);
    const summary = (rs: Round[]) => {
      const requests = rs.reduce((a, r) => a + r.requests, 0);
      const redisByNode = new Map<number, number>();
      for (const r of rs)
        for (const [p, cpu] of r.redisCpu) redisByNode.set(p, (redisByNode.get(p) ?? 0) + cpu);
      const redisTotal = [...redisByNode.values()].reduce((a, b) => a + b, 0);
      return {
        rps_median: Math.round(median(rs.map((r) => r.rps))),
        p50_ms_median: median(rs.map((r) => r.p50)),
        p99_ms_median: median(rs.map((r) => r.p99)),
        app_cpu_us_per_incr: Math.round((rs.reduce((a, r) => a + r.appCpu, 0) / requests) * 1e6),
        redis_cpu_us_per_incr: r3((redisTotal / requests) * 1e6),
        redis_cpu_share_by_primary: [...redisByNode.values()].map((x) => r3(x / redisTotal)),
      };
    };
    const result = {
      bench: 'scaling-counters',
      rounds: ROUNDS,
      round_s: ROUND_S,
      connections: CONNECTIONS,
      names: NAMES,
      load_avg_1m: loads.map((l) => Math.round(l * 10) / 10),
      standalone: summary(s),
      cluster_wait0: summary(c0),
      cluster_wait1: summary(c1),
      ratio_cluster_vs_standalone: r3(median(s.map((r, i) => c0[i].rps / r.rps))),
      ratio_wait1_vs_wait0: r3(median(c0.map((r, i) => c1[i].rps / r.rps))),
      round_ratios_cluster_vs_standalone: s.map((r, i) => r3(c0[i].rps / r.rps)),
      round_ratios_wait1_vs_wait0: c0.map((r, i) => r3(c1[i].rps / r.rps)),
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await Promise.allSettled(apps.map((a) => stop(a.child)));
    await redis.stop();
    await cluster.stop();
  }
}

/** Completed tasks the app reports (tasks_queue_jobs{state="completed"}, summed over its queues). */
async function completed(app: App): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${app.port}/metrics`)).text();
  return Number(/tasks_queue_jobs\{state="completed"\} (\d+)/.exec(text)?.[1] ?? 0);
}

interface TaskRound {
  rate: number;
  tasks: number;
  appCpu: number;
  redisCpu: Map<number, number>;
}

/** TASKS submitted by batches of 50 (types mixed so each queue gets a share), until all completed. */
async function taskRound(
  app: App,
  tag: string,
  redisCpu: () => Map<number, number>,
): Promise<TaskRound> {
  const before = await completed(app);
  const cpu0 = cpuSeconds(app.child.pid);
  const r0 = redisCpu();
  const types = [
    () => ({ type: 'echo', payload: { n: 1 } }),
    () => ({ type: 'sleep', payload: { ms: 0 } }),
    () => ({ type: 'ephemeral.process', payload: { task_id: tag } }),
  ];
  let k = 0;
  const batch = () => ({ tasks: Array.from({ length: 50 }, () => types[k++ % 3]()) });
  const amount = Math.ceil(TASKS / 50);
  const t0 = performance.now();
  const r = await autocannon({
    url: `http://127.0.0.1:${app.port}/v1/tasks/batch`,
    method: 'POST',
    connections: 8,
    amount,
    headers: { 'content-type': 'application/json', 'x-api-key': KEY },
    body: JSON.stringify(batch()),
  });
  if (r['2xx'] !== amount) throw new Error(`${app.name}: ${r['2xx']}/${amount} batches accepted`);
  const deadline = Date.now() + 180_000;
  while ((await completed(app)) < before + amount * 50) {
    if (Date.now() > deadline) throw new Error(`${app.name}: tasks did not complete`);
    await sleep(20);
  }
  const rate = (amount * 50) / ((performance.now() - t0) / 1000);
  const r1 = redisCpu();
  return {
    rate,
    tasks: amount * 50,
    appCpu: cpuSeconds(app.child.pid) - cpu0,
    redisCpu: new Map([...r1].map(([port, s]) => [port, s - (r0.get(port) ?? 0)])),
  };
}

async function tasks(): Promise<Record<string, unknown>> {
  const cluster = await startRedisCluster();
  const apps: App[] = [];
  try {
    await cluster.waitOk();
    const env = (shards: number) => ({
      REDIS_MODE: 'cluster',
      REDIS_URL: cluster.url,
      APP_ROLE: 'all',
      TASKS_QUEUE_NAME: `bench-${shards}`,
      TASKS_QUEUE_SHARDS: String(shards),
      TASKS_CONCURRENCY: '20',
      TASKS_RETENTION_COUNT: '1000000',
    });
    const primaries = [...new Set(cluster.slotRanges().map((r) => r.port))];
    const cpu = () => new Map(primaries.map((p) => [p, cpuOf(p, cluster.cli)]));
    const one = await startApp('1 queue', env(1));
    const three = await startApp('3 queues', env(3));
    apps.push(one, three);
    await taskRound(one, 'warm', cpu);
    await taskRound(three, 'warm', cpu);
    const runs: Array<[TaskRound, TaskRound]> = [];
    const loads: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      loads.push(loadavg()[0]);
      // One app at a time, each idle while the other runs.
      runs.push([await taskRound(one, `r${i}`, cpu), await taskRound(three, `r${i}`, cpu)]);
    }
    const rates = runs.map(([a, b]) => [a.rate, b.rate]);
    const cost = (rs: TaskRound[]) => {
      const n = rs.reduce((a, r) => a + r.tasks, 0);
      const byNode = primaries.map((p) => rs.reduce((a, r) => a + (r.redisCpu.get(p) ?? 0), 0));
      const total = byNode.reduce((a, b) => a + b, 0);
      return {
        app_cpu_us_per_task: Math.round((rs.reduce((a, r) => a + r.appCpu, 0) / n) * 1e6),
        redis_cpu_us_per_task: r3((total / n) * 1e6),
        redis_cpu_share_by_primary: byNode.map((x) => r3(x / total)),
      };
    };
    const result = {
      bench: 'scaling-tasks',
      rounds: ROUNDS,
      tasks_per_round: TASKS,
      concurrency_per_queue: 20,
      load_avg_1m: loads.map((l) => Math.round(l * 10) / 10),
      tasks_per_s_1_queue_median: Math.round(median(rates.map((r) => r[0]))),
      tasks_per_s_3_queues_median: Math.round(median(rates.map((r) => r[1]))),
      ratio_3_vs_1: r3(median(rates.map(([a, b]) => b / a))),
      cost_1_queue: cost(runs.map((r) => r[0])),
      cost_3_queues: cost(runs.map((r) => r[1])),
      round_ratios: rates.map(([a, b]) => r3(b / a)),
    };
    console.log(JSON.stringify(result));
    return result;
  } finally {
    await Promise.allSettled(apps.map((a) => stop(a.child)));
    await cluster.stop();
  }
}

async function main(): Promise<void> {
  const out: Record<string, unknown> = {};
  if (PARTS.includes('counters')) out.counters = await counters();
  if (PARTS.includes('tasks')) out.tasks = await tasks();
  const c = out.counters as { ratio_cluster_vs_standalone: number } | undefined;
  // The last line, in the shape bench/run.ts tabulates: cluster vs standalone counters.
  if (c)
    console.log(
      JSON.stringify({
        bench: 'scaling',
        ours: (out.counters as { cluster_wait0: { rps_median: number } }).cluster_wait0.rps_median,
        baseline: (out.counters as { standalone: { rps_median: number } }).standalone.rps_median,
        unit: 'req/s (cluster vs standalone)',
        ratio: c.ratio_cluster_vs_standalone,
        target: null,
      }),
    );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
