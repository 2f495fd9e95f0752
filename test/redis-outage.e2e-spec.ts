import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startRedis, type RedisProcess } from '../scripts/stack/index.ts';
import { bootApp } from './support/app';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy';

/**
 * A Redis of this suite's own, so stopping it does not disturb the other suites. `stop` stops the
 * process; `hang` and `stall` leave it running behind a TCP proxy that accepts and never answers,
 * or answers half a reply and stalls.
 */
describe.each(['stop', 'hang', 'stall'] as const)('readiness follows Redis (%s)', (mode) => {
  let redis: RedisProcess;
  let proxy: TcpProxy | undefined;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    redis = await startRedis();
    if (mode !== 'stop') proxy = await startTcpProxy(Number(new URL(redis.url).port));
    const url = proxy ? `redis://127.0.0.1:${proxy.port}` : redis.url;
    app = await bootApp({ REDIS_URL: url, INGEST_ENABLED: 'false' });
  });
  afterAll(async () => {
    await app.close();
    await proxy?.close();
    await redis.stop();
  });

  const ready = () => app.inject({ method: 'GET', url: '/health/ready' });

  it('answers 503 when Redis stops, fast, and 200 again once it is back', async () => {
    expect((await ready()).statusCode).toBe(200);
    if (proxy) proxy.cut(mode as 'hang' | 'stall');
    else await redis.stop();
    const t0 = Date.now();
    const down = await ready();
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'error', error: { redis: { status: 'down' } } });
    if (proxy) proxy.resume();
    else await redis.start();
    const deadline = Date.now() + 5000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await ready()).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});
