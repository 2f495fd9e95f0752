// Counter throughput: POST /v1/counters/:name/increment on the real app (node dist/main.js) vs a
// bare Fastify + ioredis baseline with the same API-key check doing INCR, and vs a hand-written
// Fastify server with the same production features (bench/baselines/counter-handwritten.ts), all
// against one embedded Redis, each in its own process, measured in the same run with autocannon.
//   npm run build && node --disable-warning=MODULE_TYPELESS_PACKAGE_JSON bench/counter.bench.ts
// Env: BENCH_DURATION (s, default 10), BENCH_CONNECTIONS (50), BENCH_LOG_REQUESTS (app's
// LOG_REQUESTS, default false: see docs/counter.md), BENCH_TRACING=1 (also the app with tracing
// on, sampling 100 % and 1 %, exporting OTLP to a sink in this process: docs/observability.md).
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import { freePort, startRedis, waitForPort } from '../scripts/stack/index.ts';

const root = process.cwd(); // run from the project root, like every npm script
const duration = Number(process.env.BENCH_DURATION ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const logRequests = process.env.BENCH_LOG_REQUESTS ?? 'false';
const KEY = 'bench-key-0123456789abcdef';
const TARGET = 0.75;
const TARGET_HANDWRITTEN = 0.95;
const tracing = process.env.BENCH_TRACING === '1';

/** An OTLP/HTTP endpoint that accepts every export (what a healthy collector costs us). */
async function otlpSink(): Promise<{ url: string; bytes: () => number; close: () => void }> {
  let bytes = 0;
  const server = createServer((req, res) => {
    req.on('data', (d: Buffer) => (bytes += d.length));
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytes: () => bytes,
    close: () => server.close(),
  };
}

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
  /** CPU seconds the server process used during the measured rounds (Linux /proc; else 0). */
  cpu: number;
}

/** utime + stime of a process, in seconds: CPU per request is steadier than req/s on a busy machine. */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

async function load(port: number, seconds: number, into?: Sample, pid?: number): Promise<void> {
  const cpu0 = cpuSeconds(pid);
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
    into.cpu += cpuSeconds(pid) - cpu0;
  }
}

const ROUND_S = 2;
async function main(): Promise<void> {
  const redis = await startRedis();
  const sink = tracing ? await otlpSink() : undefined;
  const children: ChildProcess[] = [];
  try {
    const appEnv = (port: number, extra: Record<string, string> = {}) => ({
      NODE_ENV: 'production',
      PORT: String(port),
      HOST: '127.0.0.1',
      REDIS_URL: redis.url,
      API_KEYS: KEY,
      LOG_REQUESTS: logRequests,
      INGEST_ENABLED: 'false',
      K8S_AUTH: 'disabled',
      SHUTDOWN_DELAY_MS: '0',
      // Limits stay on (their Redis round trip is part of our cost) but high enough not to bite.
      RATE_LIMITS: 'default=1000000000,anonymous=1000000000',
      ...extra,
    });
    const traced = (ratio: string) => ({
      OTEL_EXPORTER_OTLP_ENDPOINT: sink!.url,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: ratio,
    });
    const variants: { name: string; port: number; args: string[]; env: Record<string, string> }[] =
      [];
    const add = async (
      name: string,
      args: string[],
      env: (port: number) => Record<string, string>,
    ) => {
      const port = await freePort();
      variants.push({ name, port, args, env: env(port) });
    };
    await add('baseline', ['bench/baselines/counter-baseline.ts'], (port) => ({
      PORT: String(port),
      REDIS_URL: redis.url,
      API_KEYS: KEY,
    }));
    await add('handwritten', ['bench/baselines/counter-handwritten.ts'], (port) => ({
      PORT: String(port),
      REDIS_URL: redis.url,
      API_KEYS: KEY,
    }));
    await add('ours', ['dist/main.js'], (port) => appEnv(port));
    if (tracing) {
      await add('tracing 100%', ['dist/main.js'], (port) => appEnv(port, traced('1')));
      await add('tracing 1%', ['dist/main.js'], (port) => appEnv(port, traced('0.01')));
    }
    const pids = new Map<string, number | undefined>();
    for (const v of variants) {
      const child = serve(v.args, v.env);
      children.push(child);
      pids.set(v.name, child.pid);
    }
    await Promise.all(variants.map((v) => waitForPort(v.port, 30_000)));
    console.log(
      `counter bench: ${connections} connections, ${duration} s each, LOG_REQUESTS=${logRequests}${tracing ? ', tracing off / 100 % / 1 %' : ''}`,
    );
    // One server at a time (the cores are shared), alternating in short rounds so that a change
    // in the machine's load during the run hits every side alike.
    for (const v of variants) await load(v.port, ROUND_S); // warm-up: JIT, sockets, script cache
    const samples = new Map(
      variants.map((v) => [v.name, { requests: 0, seconds: 0, p99: [], cpu: 0 } as Sample]),
    );
    for (let i = 0; i < Math.ceil(duration / ROUND_S); i++)
      for (const v of variants) await load(v.port, ROUND_S, samples.get(v.name), pids.get(v.name));
    const rps = (s: Sample) => Math.round(s.requests / s.seconds);
    const p99 = (s: Sample) => Math.max(...s.p99);
    const base = samples.get('baseline')!;
    const hand = samples.get('handwritten')!;
    const ours = samples.get('ours')!;
    // CPU per request (µs) of the server process: steadier than req/s on a busy machine.
    const us = (x: Sample) => Math.round((x.cpu / x.requests) * 1e6);
    console.log(
      `baseline (fastify + ioredis INCR): ${rps(base)} req/s, worst round p99 ${p99(base)} ms, ${us(base)} µs CPU/request`,
    );
    console.log(
      `hand-written (same features: key check, Redis rate limit, JSON log line, histogram, security headers): ${rps(hand)} req/s, worst round p99 ${p99(hand)} ms, ${us(hand)} µs CPU/request`,
    );
    console.log(
      `platform-api (POST /v1/counters/:name/increment): ${rps(ours)} req/s, worst round p99 ${p99(ours)} ms, ${us(ours)} µs CPU/request`,
    );
    const ratio = Math.round((rps(ours) / rps(base)) * 1000) / 1000;
    const ratioHand = Math.round((rps(ours) / rps(hand)) * 1000) / 1000;
    console.log(
      JSON.stringify({
        bench: 'counter',
        ours: rps(ours),
        baseline: rps(base),
        unit: 'req/s',
        ratio,
        target: TARGET,
        handwritten: rps(hand),
        ratio_handwritten: ratioHand,
        target_handwritten: TARGET_HANDWRITTEN,
        p99_ms: { ours: p99(ours), baseline: p99(base), handwritten: p99(hand) },
        p99_vs_baseline: Math.round((p99(ours) / p99(base)) * 100) / 100,
        cpu_us_per_request: { ours: us(ours), baseline: us(base), handwritten: us(hand) },
        log_requests: logRequests === 'true',
      }),
    );
    if (tracing) {
      const on100 = samples.get('tracing 100%')!;
      const on1 = samples.get('tracing 1%')!;
      for (const [name, s] of [
        ['tracing on, 100 %', on100],
        ['tracing on, 1 %', on1],
      ] as const)
        console.log(`platform-api, ${name}: ${rps(s)} req/s, worst round p99 ${p99(s)} ms`);
      const r = (a: Sample, b: Sample) => Math.round((rps(a) / rps(b)) * 1000) / 1000;
      console.log(
        JSON.stringify({
          bench: 'counter-tracing',
          unit: 'req/s',
          off: rps(ours),
          on_100: rps(on100),
          on_1: rps(on1),
          // Off vs the bare baseline is the ratio above; these are on vs off, same run.
          ratio_on_100_vs_off: r(on100, ours),
          ratio_on_1_vs_off: r(on1, ours),
          cpu_us_per_request: { off: us(ours), on_100: us(on100), on_1: us(on1) },
          otlp_bytes_received: sink!.bytes(),
        }),
      );
    }
  } finally {
    await Promise.allSettled(children.map(stop));
    sink?.close();
    await redis.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
