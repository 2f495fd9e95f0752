import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { startRedis, type RedisProcess } from '../scripts/stack/index.ts';
import { bootApp } from './support/app';

/** A Redis of this suite's own, so stopping it does not disturb the other suites. */
describe('readiness follows Redis', () => {
  let redis: RedisProcess;
  let app: NestFastifyApplication;
  beforeAll(async () => {
    redis = await startRedis();
    app = await bootApp({ REDIS_URL: redis.url, INGEST_ENABLED: 'false' });
  });
  afterAll(async () => {
    await app.close();
    await redis.stop();
  });

  const ready = () => app.inject({ method: 'GET', url: '/health/ready' });

  it('answers 503 when Redis stops, fast, and 200 again once it is back', async () => {
    expect((await ready()).statusCode).toBe(200);
    await redis.stop();
    const t0 = Date.now();
    const down = await ready();
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(down.statusCode).toBe(503);
    expect(down.json()).toMatchObject({ status: 'error', error: { redis: { status: 'down' } } });
    await redis.start();
    const deadline = Date.now() + 5000;
    let status = 0;
    while (Date.now() < deadline && status !== 200) {
      status = (await ready()).statusCode;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});
