import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from './ports.ts';

export interface RedisProcess {
  port: number;
  url: string;
  /** Stops the server (SIGTERM, then SIGKILL); data is kept only with `dataDir` (see startRedis). */
  stop(): Promise<void>;
  /** Starts a fresh server on the same port. */
  start(): Promise<void>;
}

export const REDIS_MISSING =
  'redis-server was not found on PATH. Install it: `apt-get install redis-server` (Debian/Ubuntu), ' +
  '`brew install redis` (macOS), or run Redis yourself and set REDIS_URL.';

export function findRedisServer(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return which.status === 0 ? which.stdout.trim() : undefined;
}

export interface RedisOptions {
  /**
   * Keep data across stop()/start() in this directory (an append-only file fsynced on every
   * write), like a managed Redis that comes back with its data. Without it: persistence off.
   */
  dataDir?: string;
}

/** A real redis-server on a free loopback port, with persistence off: a throwaway for dev and tests. */
export async function startRedis(port?: number, opts: RedisOptions = {}): Promise<RedisProcess> {
  const bin = findRedisServer();
  if (!bin) throw new Error(REDIS_MISSING);
  const p = port ?? (await freePort());
  let child: ChildProcess | undefined;
  const start = async () => {
    const persistence = opts.dataDir
      ? ['--dir', opts.dataDir, '--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no'];
    child = spawn(bin, ['--port', String(p), '--bind', '127.0.0.1', '--save', '', ...persistence], {
      stdio: 'ignore',
    });
    child.unref();
    await waitForPort(p, 5000);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return { port: p, url: `redis://127.0.0.1:${p}`, start, stop };
}

/** Resolves when something accepts TCP connections on the port. */
export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listens on 127.0.0.1:${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
