import type { RedisOptions } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { RedisConfig } from '../../config';
import { connectTimeoutMs, createCluster, createRedisClient } from './redis.factory';

/** The producer-side ioredis client BullMQ queues share (fail-fast; see bullProducerConnection). */
export const BULLMQ_PRODUCER = Symbol('BULLMQ_PRODUCER');

/**
 * BullMQ's key prefix, under the app's REDIS_KEY_PREFIX: `platform:` gives `platform:bull`
 * (BullMQ adds its own `:`); BullMQ refuses an ioredis keyPrefix, so this is how it is scoped.
 */
export function bullPrefix(
  cfg: Pick<RedisConfig, 'keyPrefix' | 'mode'>,
  queueName = 'tasks',
): string {
  const base = cfg.keyPrefix.replace(/:+$/, '');
  const prefix = base ? `${base}:bull` : 'bull';
  // Cluster: every key of one queue must share a slot (BullMQ's scripts touch several), so the
  // prefix ends in a hash tag named after the queue, `platform:bull:{tasks}`: one queue, one shard.
  return cfg.mode === 'cluster' ? `${prefix}:{${queueName}}` : prefix;
}

/**
 * Producer side (HTTP request paths): no offline queue, one retry, short command and connect
 * timeouts, so an `add` while Redis is down fails at once instead of hanging (a Queue on default
 * ioredis options waits forever). Not lazy: BullMQ would call connect() itself and, if that first
 * attempt failed, keep the rejection for good; connecting eagerly lets ioredis retry until ready.
 */
export function bullProducerConnection(cfg: RedisConfig): Redis {
  const redis = createRedisClient(cfg, { connectionName: 'bullmq-producer' });
  redis.on('error', () => undefined); // outages surface as 503s and in /health/ready, not as log floods
  return redis;
}

/**
 * Worker side: BullMQ workers block on Redis and must never give up on a command
 * (maxRetriesPerRequest: null, offline queue on); they reconnect with a capped backoff.
 * Options, not a client: each Worker makes its own normal and blocking connections from them.
 */
export function bullWorkerConnection(cfg: RedisConfig): RedisOptions | Cluster {
  if (cfg.mode === 'cluster')
    return createCluster(cfg, {
      enableOfflineQueue: true,
      clusterRetryStrategy: (times: number) => Math.min(100 * 2 ** times, 5000),
      redisOptions: {
        maxRetriesPerRequest: null,
        connectTimeout: connectTimeoutMs(cfg.commandTimeoutMs),
        connectionName: 'bullmq-worker',
      },
    });
  return {
    url: cfg.url, // rediss:// turns TLS on by itself
    maxRetriesPerRequest: null,
    enableOfflineQueue: true,
    connectTimeout: connectTimeoutMs(cfg.commandTimeoutMs),
    retryStrategy: (times: number) => Math.min(100 * 2 ** times, 5000),
    connectionName: 'bullmq-worker',
  };
}
