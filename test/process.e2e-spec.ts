import { TEST_KEY } from './support/app';
import { spawnApp, waitForStatus } from './support/process';

/** The built app as a process: start-up checks, roles, and SIGTERM draining. */
describe('node dist/main.js', () => {
  it('refuses to start on a bad variable, with one line naming it', async () => {
    const app = await spawnApp({ API_KEYS: TEST_KEY, PORT: 'eighty' });
    expect(await app.exited).toBe(1);
    expect(app.output().trim().split('\n')).toEqual([
      expect.stringMatching(/^Invalid configuration: PORT /),
    ]);
  });

  it('refuses to start without any API key', async () => {
    const app = await spawnApp({ API_KEYS: undefined, API_KEYS_FILE: undefined });
    expect(await app.exited).toBe(1);
    expect(app.output().trim()).toMatch(/^Invalid configuration: API_KEYS or API_KEYS_FILE/);
  });

  it('drains on SIGTERM: readiness fails at once, requests still served, clean exit in the grace time', async () => {
    const app = await spawnApp({
      API_KEYS: TEST_KEY,
      SHUTDOWN_DELAY_MS: '1500',
      LOG_LEVEL: 'info',
    });
    await waitForStatus(`${app.base}/health/ready`, 200);
    const t0 = Date.now();
    app.child.kill('SIGTERM');
    await waitForStatus(`${app.base}/health/ready`, 503, 1000);
    expect((await fetch(`${app.base}/health/live`)).status).toBe(200); // still serving while draining
    expect(await app.exited).toBe(0);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(1400);
    expect(took).toBeLessThan(10000);
    expect(app.output()).not.toContain(TEST_KEY);
  });

  it('worker role serves only health and metrics, and needs no API key', async () => {
    const app = await spawnApp({ APP_ROLE: 'worker', API_KEYS: undefined });
    try {
      await waitForStatus(`${app.base}/health/ready`, 200);
      expect((await fetch(`${app.base}/metrics`)).status).toBe(200);
      expect((await fetch(`${app.base}/`)).status).toBe(401);
      expect((await fetch(`${app.base}/docs-json`)).status).toBe(200);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
  });

  it('logs requests as JSON with the request id and never the API key', async () => {
    const app = await spawnApp({ API_KEYS: TEST_KEY, LOG_LEVEL: 'info', SHUTDOWN_DELAY_MS: '0' });
    try {
      await waitForStatus(`${app.base}/health/ready`, 200);
      const res = await fetch(`${app.base}/v1/missing`, {
        headers: {
          'x-api-key': TEST_KEY,
          authorization: 'Bearer secret-token-xyz',
          'x-request-id': 'trace-42',
        },
      });
      expect(res.status).toBe(404);
    } finally {
      app.child.kill('SIGTERM');
      await app.exited;
    }
    const lines = app
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.requestId === 'trace-42' && l.msg === 'request completed')).toBe(
      true,
    );
    expect(app.output()).not.toContain(TEST_KEY);
    expect(app.output()).not.toContain('secret-token-xyz');
  });
});
