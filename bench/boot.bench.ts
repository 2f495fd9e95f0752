/**
 * Boot benchmark: `node dist/main.js` (APP_ROLE=all, embedded stack already up) from spawn to
 * the first /health/ready = 200, median of N cold starts, and idle RSS: the larger of the samples
 * 2 s and 10 s after ready (the service must hold it, not just reach it). The baseline,
 * run in the same script, is a bare `node -e` that listens on a port: what any Node server costs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort, startStack } from '../scripts/stack/index.ts';

const RUNS = Number(process.env.BOOT_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function bootOnce(
  args: string[],
  env: Record<string, string>,
  path: string,
  sampleLate = false,
) {
  const port = await freePort();
  const t0 = performance.now();
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: 'ignore',
  });
  for (;;) {
    const status = await fetch(`http://127.0.0.1:${port}${path}`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) break;
    if (performance.now() - t0 > 30_000) throw new Error('did not become ready in 30 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 2000));
  let rss = rssMb(child.pid!);
  if (sampleLate) {
    await new Promise((r) => setTimeout(r, 8000));
    rss = Math.max(rss, rssMb(child.pid!));
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { ms, rss };
}

async function main(): Promise<void> {
  const stack = await startStack();
  try {
    const env = {
      ...stack.env,
      API_KEYS: 'bench-key-0123456789abcdef',
      APP_ROLE: 'all',
      LOG_LEVEL: 'warn',
      SHUTDOWN_DELAY_MS: '0',
    };
    const bare = `require('node:http').createServer((q,s)=>s.end('ok')).listen(process.env.PORT)`;
    const ours = [];
    const base = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(await bootOnce(['dist/main.js'], env, '/health/ready', true));
      base.push(await bootOnce(['-e', bare], env, '/'));
    }
    const oursMs = median(ours.map((r) => r.ms));
    const baseMs = median(base.map((r) => r.ms));
    const rss = median(ours.map((r) => r.rss));
    console.log(
      `boot to ready: median ${oursMs.toFixed(0)} ms over ${RUNS} cold starts (bare node server ${baseMs.toFixed(0)} ms); RSS idle ${rss.toFixed(0)} MB (max of 2 s and 10 s after ready)`,
    );
    console.log(
      JSON.stringify({
        bench: 'boot',
        ours: Math.round(oursMs),
        baseline: Math.round(baseMs),
        unit: 'ms to ready (lower is better)',
        ratio: +(baseMs / oursMs).toFixed(3),
        rssMb: Math.round(rss),
        target: null,
      }),
    );
  } finally {
    await stack.stop();
  }
}

void main();
