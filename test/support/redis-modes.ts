import { Cluster, Redis } from 'ioredis';
import { TEST_KEY } from './app';

/**
 * The suites whose main cases run against both Redis modes: a standalone redis-server and a real
 * 6-node Redis Cluster (3 primaries + 3 replicas), both started once by the global setup.
 */
export const REDIS_MODES = ['standalone', 'cluster'] as const;
export type RedisMode = (typeof REDIS_MODES)[number];

/** What the app needs for a mode (passed to bootApp as overrides). */
export function redisEnv(mode: RedisMode): Record<string, string> {
  if (mode === 'standalone') return {};
  return {
    REDIS_MODE: 'cluster',
    // One seed, like ElastiCache's configuration endpoint: the client learns the other nodes.
    REDIS_URL: process.env.TEST_REDIS_CLUSTER_URL!,
  };
}

/** A plain client for the test's own reads and writes (typed as Redis, as the app does). */
export function redisClient(mode: RedisMode): Redis {
  if (mode === 'standalone') return new Redis(process.env.REDIS_URL!);
  const seeds = process.env.TEST_REDIS_CLUSTER_NODES!.split(',').map((s) => {
    const [host, port] = s.split(':');
    return { host, port: Number(port) };
  });
  return new Cluster(seeds) as unknown as Redis;
}

/** A counter's name as it appears in its keys: in a hash tag in cluster mode. */
export const counterTag = (mode: RedisMode, name: string) =>
  mode === 'cluster' ? `{${name}}` : name;

/** Every key matching `pattern` (KEYS on each primary in a cluster: one node holds only its slots). */
export async function allKeys(client: Redis, pattern: string): Promise<string[]> {
  if (!client.isCluster) return client.keys(pattern);
  if (client.status !== 'ready') await new Promise((r) => client.once('ready', r));
  const nodes = (client as unknown as Cluster).nodes('master');
  return (await Promise.all(nodes.map((n) => n.keys(pattern)))).flat();
}

/**
 * Waits until the app's Redis answers (/health/ready 200): a Cluster client learns the slot map
 * after connecting, which on a loaded machine can outlast the 2 s the app waits at start.
 */
export async function untilRedisReady(app: {
  inject(o: {
    method: 'GET';
    url: string;
    headers?: Record<string, string>;
  }): Promise<{ statusCode: number }>;
}): Promise<void> {
  const deadline = Date.now() + 20_000;
  const wait = async (ok: () => Promise<boolean>) => {
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error('Redis not ready after 20 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await wait(
    async () => (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode === 200,
  );
  // Every node connection up: 12 reads in a row on names spread over the slots answer 200.
  await wait(async () => {
    const codes = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        app.inject({
          method: 'GET',
          url: `/v1/counters/warm-${i}`,
          headers: { 'x-api-key': TEST_KEY },
        }),
      ),
    );
    return codes.every((c) => c.statusCode === 200);
  });
  // The same for the task producer's connections (another client): a task list reads every queue.
  // (A first request to a node still connecting waits for it, not 503: that is checked on its
  // own, without these warm-ups, by test/redis-cluster-cold-start.e2e-spec.ts.)
  await wait(async () => {
    const codes = await Promise.all(
      Array.from({ length: 3 }, () =>
        app.inject({ method: 'GET', url: '/v1/tasks?limit=1', headers: { 'x-api-key': TEST_KEY } }),
      ),
    );
    return codes.every((c) => c.statusCode === 200);
  });
}
