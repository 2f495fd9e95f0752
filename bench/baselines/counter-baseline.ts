// The baseline for bench/counter.bench.ts: a bare Fastify + ioredis server with the same API-key
// check (SHA-256 + timingSafeEqual) doing INCR. Run as its own process, like the app.
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const sha256 = (v: string) => createHash('sha256').update(v).digest();
const digests = (process.env.API_KEYS ?? '').split(',').filter(Boolean).map(sha256);
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
const app = Fastify({ logger: false });

app.post<{ Params: { name: string } }>('/v1/counters/:name/increment', async (req, reply) => {
  const key = req.headers['x-api-key'];
  let ok = false;
  if (typeof key === 'string' && key.length > 0) {
    const d = sha256(key);
    for (const known of digests) if (timingSafeEqual(known, d)) ok = true;
  }
  if (!ok) return reply.code(401).send({ error: 'Unauthorized' });
  const value = await redis.incr(`baseline:${req.params.name}`);
  return { name: req.params.name, value };
});

app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' }).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => redis.quit())
    .then(() => process.exit(0));
});
