/**
 * Boot benchmark: `node dist/main.js` (APP_ROLE=all, embedded stack already up) from spawn to
 * the first /health/ready = 200, median of N cold starts, and RSS 2 s after ready. The baseline,
 * run in the same script, is a bare `node -e` that listens on a port: what any Node server costs.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { freePort, startStack } from '../scripts/stack/index.ts';

const RUNS = Number(process.env.BOOT_RUNS ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rssMb = (pid: number) =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function bootOnce(args: string[], env: Record<string, string>, path: string) {
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
  const rss = rssMb(child.pid!);
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
    const tuned = [];
    const base = [];
    for (let i = 0; i < RUNS; i++) {
      ours.push(await bootOnce(['dist/main.js'], env, '/health/ready'));
      // As the image runs it (Dockerfile NODE_OPTIONS): a 4 MB young generation.
      tuned.push(await bootOnce(['--max-semi-space-size=4', 'dist/main.js'], env, '/health/ready'));
      base.push(await bootOnce(['-e', bare], env, '/'));
    }
    const tunedMs = median(tuned.map((r) => r.ms));
    const tunedRss = median(tuned.map((r) => r.rss));
    const oursMs = median(ours.map((r) => r.ms));
    const baseMs = median(base.map((r) => r.ms));
    const rss = median(ours.map((r) => r.rss));
    console.log(
      `boot to ready: median ${oursMs.toFixed(0)} ms over ${RUNS} cold starts (bare node server ${baseMs.toFixed(0)} ms); RSS idle ${rss.toFixed(0)} MB`,
    );
    console.log(
      `as the image runs it (--max-semi-space-size=4): median ${tunedMs.toFixed(0)} ms, RSS idle ${tunedRss.toFixed(0)} MB`,
    );
    console.log(
      JSON.stringify({
        bench: 'boot',
        ours: Math.round(oursMs),
        baseline: Math.round(baseMs),
        unit: 'ms to ready (lower is better)',
        ratio: +(baseMs / oursMs).toFixed(3),
        rssMb: Math.round(rss),
        rssMbImage: Math.round(tunedRss),
        target: null,
      }),
    );
  } finally {
    await stack.stop();
  }
}

void main();
