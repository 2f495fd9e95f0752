import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../../scripts/stack/index.ts';

export interface AppProcess {
  child: ChildProcess;
  port: number;
  base: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** Runs the built app (`node dist/main.js`, as production does) with the test stack's env. */
export async function spawnApp(env: Record<string, string | undefined> = {}): Promise<AppProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'dist', 'main.js')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, port, base: `http://127.0.0.1:${port}`, output: () => out, exited };
}

/** Polls until GET url answers `status`, or throws after timeoutMs. */
export async function waitForStatus(
  url: string,
  status: number,
  timeoutMs = 15000,
): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const got = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (got === status) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`${url} answered ${got}, not ${status}, for ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
