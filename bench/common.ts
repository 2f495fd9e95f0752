import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../scripts/stack/index.ts';

/** Shared by the benchmarks: small helpers, and the baseline run in a process of its own. */

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The median (the mean of the two middle values for an even count). */
export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * Runs `bench/<script> --baseline <redisUrl>` in a fresh process and resolves with what it
 * printed once it exited 0. In the bench process each round would inherit the JIT warmth of the
 * rounds before it (round 3 ran ~35 % faster than round 1), while ours always starts cold.
 */
export function baselineProcess(script: string, redisUrl: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON',
        join(process.cwd(), 'bench', script),
        '--baseline',
        redisUrl,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += String(d)));
    child.once('exit', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`baseline process failed (exit ${code}): ${out}`));
    });
  });
}

/** The `rate <n>` line a baseline process prints. */
export function printedRate(out: string): number {
  const rate = Number(/^rate (\S+)$/m.exec(out)?.[1]);
  if (!Number.isFinite(rate)) throw new Error(`baseline process printed no rate: ${out}`);
  return rate;
}

/** utime + stime of a process, in seconds (Linux /proc; else 0). */
export function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/**
 * The built app (`dist/main.js`, run from the repo root) on a free port against `redisUrl`, with
 * the settings every task benchmark shares (one API key, limits on but out of the way, retained
 * jobs countable, no ingest, quiet logs) plus `env`; `port` resolves once /health/ready is 200.
 */
export function startTaskApp(
  redisUrl: string,
  key: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): { port: Promise<number>; pid: () => number | undefined; stop: () => Promise<void> } {
  let child: ChildProcess | undefined;
  const port = freePort().then(async (p) => {
    child = spawn(process.execPath, [...nodeArgs, join(process.cwd(), 'dist', 'main.js')], {
      env: {
        ...process.env,
        PORT: String(p),
        HOST: '127.0.0.1',
        REDIS_URL: redisUrl,
        API_KEYS: key,
        RATE_LIMITS: 'default=1000000000,anonymous=1000000000', // limits on, out of the way
        TASKS_RETENTION_COUNT: '100000', // every benchmarked task stays countable (baselines: the same)
        INGEST_ENABLED: 'false',
        LOG_LEVEL: 'warn',
        LOG_REQUESTS: 'false',
        SHUTDOWN_DELAY_MS: '0',
        ...env,
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; ; i++) {
      const ok = await fetch(`http://127.0.0.1:${p}/health/ready`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return p;
      if (i > 300) throw new Error(`app (${env.APP_ROLE ?? 'all'}) did not become ready`);
      await sleep(100);
    }
  });
  const stop = () =>
    new Promise<void>((r) => {
      if (!child || child.exitCode !== null) return r();
      child.once('exit', () => r());
      child.kill('SIGTERM');
    });
  return { port, pid: () => child?.pid, stop };
}
