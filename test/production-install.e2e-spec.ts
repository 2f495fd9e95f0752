import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../scripts/stack/index.ts';
import { ROOT } from './support/chart';
import { run, tool } from './support/tools';

/**
 * What the image's runtime stage does: the build plus `npm ci --omit=dev`, nothing else. The app
 * must boot from that copy and answer its probes, so no production import reaches a dev dependency.
 */
describe('production install (npm ci --omit=dev)', () => {
  let dir: string;
  let app: ChildProcess | undefined;

  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist', 'main.js')))
      throw new Error('dist/main.js is missing: `npm test` builds it first');
    // In memory where possible: writing ~240 MB of node_modules to disk is most of this test's time.
    const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
    dir = mkdtempSync(join(base, 'platform-api-prod-'));
    for (const f of ['package.json', 'package-lock.json']) cpSync(join(ROOT, f), join(dir, f));
    cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  });
  afterAll(async () => {
    if (app && app.exitCode === null) {
      app.kill('SIGKILL');
      await new Promise((r) => app?.once('exit', r));
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('installs production dependencies only, boots from dist/main.js and answers /health/live', async () => {
    const install = run(
      tool('npm'),
      ['ci', '--omit=dev', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'],
      { cwd: dir },
    );
    expect(install.stderr.replace(/npm warn .*\n?/gi, '')).toBe('');
    expect(install.status).toBe(0);
    // Dev-only tools are absent (typescript stays: it is a peer dependency of @nestjs/swagger).
    for (const dev of [
      'jest',
      'ts-jest',
      '@nestjs/cli',
      'eslint',
      'prettier',
      'dynalite',
      'local-aws-sqs',
      'autocannon',
      'kubernetes-models',
    ]) {
      expect([dev, existsSync(join(dir, 'node_modules', dev))]).toEqual([dev, false]);
    }
    expect(existsSync(join(dir, 'node_modules', '@nestjs', 'core'))).toBe(true);

    const port = await freePort();
    let output = '';
    app = spawn(process.execPath, ['dist/main.js'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        ...Object.fromEntries(
          Object.entries(process.env).filter(([k]) => /^(REDIS_|AWS_|INGEST_)/.test(k)),
        ),
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        API_KEYS: 'prod-install-key-0123456789',
        K8S_AUTH: 'disabled',
        LOG_LEVEL: 'warn',
        SHUTDOWN_DELAY_MS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    app.stdout?.on('data', (d) => (output += d));
    app.stderr?.on('data', (d) => (output += d));

    let live: Response | undefined;
    for (let i = 0; i < 150 && !live && app.exitCode === null; i++) {
      live = await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined);
      if (!live) await new Promise((r) => setTimeout(r, 100));
    }
    expect({ exitCode: app.exitCode, output }).toEqual({
      exitCode: null,
      output: expect.any(String),
    });
    expect(live?.status).toBe(200);
    expect(await live?.json()).toEqual({ status: 'ok' });
    expect((await fetch(`http://127.0.0.1:${port}/health/ready`)).status).toBe(200);

    // SIGTERM drains and exits cleanly, as Kubernetes stops the container.
    const exited = new Promise<number | null>((r) => app?.once('exit', r));
    app.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
