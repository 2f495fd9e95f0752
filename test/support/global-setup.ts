import { startStack, type Stack } from '../../scripts/stack/index.ts';
import { startRedisCluster } from '../../scripts/stack/redis-cluster.ts';

/**
 * Starts the embedded stack once for every e2e suite (the same launcher as `npm run local`).
 * Workers inherit process.env, so suites find it through the usual variables.
 */
export default async function globalSetup(): Promise<void> {
  // The Redis Cluster the dual-mode suites (test/support/redis-modes.ts) use, started beside the
  // stack (~3 s); suites that kill nodes start their own.
  const [stack, cluster] = await Promise.all([startStack(), startRedisCluster()]);
  const stop = stack.stop;
  stack.stop = async () => void (await Promise.all([stop(), cluster.stop()]));
  Object.assign(process.env, stack.env, {
    TEST_REDIS_CLUSTER_URL: cluster.url,
    TEST_REDIS_CLUSTER_NODES: cluster.seeds,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SHUTDOWN_DELAY_MS: '0',
    // Suites share one Redis and 127.0.0.1; the rate-limit suite sets its own limits on its own Redis.
    RATE_LIMITS: 'default=1000000,anonymous=1000000',
  });
  (globalThis as { __STACK__?: Stack }).__STACK__ = stack;
}
