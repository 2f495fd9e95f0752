// Counter throughput: POST /v1/counters/:name/increment on the real app (node dist/main.js) vs a
// bare Fastify + ioredis baseline with the same API-key check doing INCR, both against one
// embedded Redis, each in its own process, measured in the same run with autocannon.
//   npm run build && node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON bench/counter.bench.ts
// Env: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (50), BENCH_LOG_REQUESTS (app's
// LOG_REQUESTS, default false: see docs/counter.md).
import { spawn, type ChildProcess } from 'node:child_process';
import autocannon from 'autocannon';
import { freePort, startRedis, waitForPort } from '../scripts/stack/index.ts';

const root = process.cwd(); // run from the project root, like every npm script
const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const logRequests = process.env.BENCH_LOG_REQUESTS ?? 'false';
const KEY = 'bench-key-0123456789abcdef';
const TARGET = 0.75;

function serve(args: string[], env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, ['--disable-warning=MODULE_TYPELESS_PACKAGE_JSON', ...args], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface Sample {
  requests: number;
  seconds: number;
  p99: number[];
}

async function load(port: number, seconds: number, into?: Sample): Promise<void> {
  const r = await autocannon({
    url: `http://127.0.0.1:${port}/v1/counters/bench/increment`,
    method: 'POST',
    headers: { 'x-api-key': KEY },
    connections,
    duration: seconds,
  });
  const bad = r.non2xx + r.errors + r.timeouts;
  if (bad > 0) throw new Error(`port ${port}: ${bad} failed requests out of ${r.requests.total}`);
  if (into) {
    into.requests += r.requests.total;
    into.seconds += r.duration;
    into.p99.push(r.latency.p99);
  }
}

const ROUND_S = 2;
async function main(): Promise<void> {
  const redis = await startRedis();
  const children: ChildProcess[] = [];
  try {
    const [ourPort, basePort] = await Promise.all([freePort(), freePort()]);
    children.push(
      serve(['dist/main.js'], {
        NODE_ENV: 'production',
        PORT: String(ourPort),
        HOST: '127.0.0.1',
        REDIS_URL: redis.url,
        API_KEYS: KEY,
        LOG_REQUESTS: logRequests,
        INGEST_ENABLED: 'false',
        K8S_AUTH: 'disabled',
        SHUTDOWN_DELAY_MS: '0',
        // Limits stay on (their Redis round trip is part of our cost) but high enough not to bite.
        RATE_LIMITS: 'default=1000000000,anonymous=1000000000',
      }),
      serve(['bench/baselines/counter-baseline.ts'], {
        PORT: String(basePort),
        REDIS_URL: redis.url,
        API_KEYS: KEY,
      }),
    );
    await Promise.all([waitForPort(ourPort, 15_000), waitForPort(basePort, 15_000)]);
    console.log(
      `counter bench: ${connections} connections, ${duration} s each, LOG_REQUESTS=${logRequests}`,
    );
    // One server at a time (the cores are shared), alternating in short rounds so that a change
    // in the machine's load during the run hits both sides alike.
    await load(basePort, ROUND_S); // warm-up: JIT, sockets, script cache
    await load(ourPort, ROUND_S);
    const base: Sample = { requests: 0, seconds: 0, p99: [] };
    const ours: Sample = { requests: 0, seconds: 0, p99: [] };
    for (let i = 0; i < Math.ceil(duration / ROUND_S); i++) {
      await load(basePort, ROUND_S, base);
      await load(ourPort, ROUND_S, ours);
    }
    const rps = (s: Sample) => Math.round(s.requests / s.seconds);
    const p99 = (s: Sample) => Math.max(...s.p99);
    console.log(
      `baseline (fastify + ioredis INCR): ${rps(base)} req/s, worst round p99 ${p99(base)} ms`,
    );
    console.log(
      `platform-api (POST /v1/counters/:name/increment): ${rps(ours)} req/s, worst round p99 ${p99(ours)} ms`,
    );
    const ratio = Math.round((rps(ours) / rps(base)) * 1000) / 1000;
    console.log(
      JSON.stringify({
        bench: 'counter',
        ours: rps(ours),
        baseline: rps(base),
        unit: 'req/s',
        ratio,
        target: TARGET,
        p99_ms: { ours: p99(ours), baseline: p99(base) },
        log_requests: logRequests === 'true',
      }),
    );
  } finally {
    await Promise.allSettled(children.map(stop));
    await redis.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
