import { buildKube, startKube, startStack, type Stack } from '../../scripts/stack/index.ts';
import type { KubeCluster } from '../../scripts/stack/kube.ts';
import { startRedisCluster } from '../../scripts/stack/redis-cluster.ts';

/**
 * Starts, once for every e2e suite: the embedded stack (the same launcher as `npm run local`),
 * a real 6-node Redis Cluster for the dual-mode suites (test/support/redis-modes.ts; suites that
 * kill nodes start their own), and a real Kubernetes control plane (etcd, kube-apiserver,
 * controller-manager, scheduler, KWOK) built once by scripts/kube/build.sh (`.ci/run` does it
 * first; a cold build here prints its progress). Workers inherit process.env, so suites find
 * them through the usual variables.
 */
export default async function globalSetup(): Promise<void> {
  // TEST_KUBE=0 skips the control plane when running suites that do not need it (they then fail
  // loudly in testKube() if they do); `npm test` and .ci/run always start it.
  const kube =
    process.env.TEST_KUBE === '0'
      ? Promise.resolve(undefined)
      : buildKube().then((b) => startKube(b));
  const redisCluster = startRedisCluster();
  const [stack, cluster, redis] = await Promise.all([startStack(), kube, redisCluster]).catch(
    async (e: unknown) => {
      await Promise.allSettled([kube.then((k) => k?.stop()), redisCluster.then((r) => r.stop())]);
      throw e;
    },
  );
  const stop = stack.stop;
  stack.stop = async () => void (await Promise.all([stop(), redis.stop()]));
  Object.assign(process.env, stack.env, {
    TEST_REDIS_CLUSTER_URL: redis.url,
    TEST_REDIS_CLUSTER_NODES: redis.seeds,
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    SHUTDOWN_DELAY_MS: '0',
    // Suites share one Redis and 127.0.0.1; the rate-limit suite sets its own limits on its own Redis.
    RATE_LIMITS: 'default=1000000,anonymous=1000000',
  });
  if (cluster) {
    // The control plane, for test/support/kube.ts (suites pass K8S_AUTH=kubeconfig themselves).
    Object.assign(process.env, {
      TEST_KUBE_SERVER: cluster.server,
      TEST_KUBE_DIR: cluster.dir,
      TEST_KUBECONFIG: cluster.kubeconfig,
    });
  }
  const g = globalThis as { __STACK__?: Stack; __KUBE__?: KubeCluster };
  g.__STACK__ = stack;
  g.__KUBE__ = cluster;
}
