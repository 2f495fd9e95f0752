import { registerAs } from '@nestjs/config';
import { loadEnv } from './load-env';

export const redisConfig = registerAs('redis', () => {
  const e = loadEnv();
  const cluster = e.REDIS_MODE === 'cluster';
  return {
    url: e.REDIS_URL,
    mode: e.REDIS_MODE,
    /** Cluster seeds as URLs (REDIS_CLUSTER_NODES, else REDIS_URL: one ElastiCache configuration endpoint). */
    seeds: cluster
      ? (e.REDIS_CLUSTER_NODES || e.REDIS_URL)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean)
          .map((s) => (/^rediss?:\/\//.test(s) ? s : `redis://${s}`))
      : [],
    keyPrefix: e.REDIS_KEY_PREFIX,
    commandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    waitReplicas: e.REDIS_WAIT_REPLICAS,
    waitTimeoutMs: e.REDIS_WAIT_TIMEOUT_MS,
  };
});
export type RedisConfig = ReturnType<typeof redisConfig>;
