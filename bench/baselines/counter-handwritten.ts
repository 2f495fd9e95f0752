// The second baseline for bench/counter.bench.ts: what a careful engineer writes by hand with the
// same production features as our counter route, on Fastify + ioredis + pino + prom-client:
// API-key check (SHA-256 + timingSafeEqual), a request id, a fixed-window rate limit per key in
// Redis (one Lua script), the increment with its range check (one Lua script), one JSON log line
// per request (an audit/access line, to stdout), a latency histogram and request counter by route
// and status, and the same security headers we send. Run as its own process, like the app.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Counter, Histogram } from 'prom-client';

const sha256 = (v: string) => createHash('sha256').update(v).digest();
const keys = (process.env.API_KEYS ?? '')
  .split(',')
  .filter(Boolean)
  .map((k) => ({ digest: sha256(k), id: sha256(k).toString('hex').slice(0, 16) }));
const LIMIT = 1_000_000_000;
const WINDOW_MS = 60_000;
const MAX = Number.MAX_SAFE_INTEGER;

const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
  enableAutoPipelining: true,
});
redis.defineCommand('hit', {
  numberOfKeys: 1,
  lua: `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return { n, redis.call('PTTL', KEYS[1]) }`,
});
redis.defineCommand('bump', {
  numberOfKeys: 1,
  lua: `local v = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1])
if math.abs(v) > tonumber(ARGV[2]) then return { 0, v } end
redis.call('SET', KEYS[1], v)
return { 1, v }`,
});
type Scripts = {
  hit(key: string, windowMs: number): Promise<[number, number]>;
  bump(key: string, by: number, max: number): Promise<[number, number]>;
};
const r = redis as unknown as Scripts;

// Buffered asynchronous stdout, exactly as our app writes its lines (src/observability/logger.ts).
const log = pino(
  { base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
  pino.destination({ dest: 1, sync: false, minLength: 4096, periodicFlush: 100 }),
);
const requests = new Counter({
  name: 'http_requests_total',
  help: 'requests',
  labelNames: ['method', 'route', 'status_code'],
});
const duration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'latency',
  labelNames: ['method', 'route', 'status_code'],
  buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
});
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self';script-src 'self' 'unsafe-inline';style-src 'self' 'unsafe-inline';img-src 'self' data:;base-uri 'self';font-src 'self' https: data:;form-action 'self';frame-ancestors 'self';object-src 'none';script-src-attr 'none';upgrade-insecure-requests",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-frame-options': 'SAMEORIGIN',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0',
};

const app = Fastify({ logger: false, genReqId: () => randomUUID() });
app.addHook('onRequest', (req, reply, done) => {
  void reply.headers(SECURITY_HEADERS).header('x-request-id', req.id);
  done();
});
app.addHook('onResponse', (req, reply, done) => {
  const labels = {
    method: req.method,
    route: req.routeOptions.url ?? 'unmatched',
    status_code: String(reply.statusCode),
  };
  requests.inc(labels);
  duration.observe(labels, reply.elapsedTime / 1000);
  log.info(
    {
      keyId: (req as { keyId?: string }).keyId ?? null,
      method: req.method,
      route: req.routeOptions.url,
      status: reply.statusCode,
      requestId: req.id,
      ms: reply.elapsedTime,
    },
    'request',
  );
  done();
});

app.post<{ Params: { name: string } }>('/v1/counters/:name/increment', async (req, reply) => {
  const key = req.headers['x-api-key'];
  let id: string | undefined;
  if (typeof key === 'string' && key.length > 0) {
    const d = sha256(key);
    for (const k of keys) if (timingSafeEqual(k.digest, d)) id = k.id;
  }
  if (!id) return reply.code(401).send({ statusCode: 401, message: 'Invalid API key' });
  (req as { keyId?: string }).keyId = id;
  const [hits, pttl] = await r.hit(`rl:default:${id}`, WINDOW_MS);
  const reset = Math.max(1, Math.ceil(pttl / 1000));
  void reply.headers({
    'ratelimit-limit': LIMIT,
    'ratelimit-remaining': Math.max(0, LIMIT - hits),
    'ratelimit-reset': reset,
  });
  if (hits > LIMIT)
    return reply
      .code(429)
      .header('retry-after', reset)
      .send({ statusCode: 429, message: 'Slow down' });
  const name = req.params.name;
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(name))
    return reply.code(400).send({ statusCode: 400, message: 'Invalid name' });
  const [ok, value] = await r.bump(`hw:${name}`, 1, MAX);
  if (!ok) return reply.code(422).send({ statusCode: 422, message: 'Out of range' });
  return { name, value };
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
