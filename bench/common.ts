import { spawn } from 'node:child_process';
import { join } from 'node:path';

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
