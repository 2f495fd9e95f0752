import { Redis, type RedisOptions } from 'ioredis';

/**
 * Request-path client: fails fast instead of queueing while Redis is down (no offline queue,
 * one retry, a command timeout), and reconnects by itself in the background.
 */
export function createRedis(url: string, commandTimeoutMs: number, extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(commandTimeoutMs, 1000),
    retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
    // ioredis turns rediss:// into TLS itself; nothing else is needed for ElastiCache in-transit TLS.
    ...extra,
  });
}

/** Resolves once the client is ready, or after `ms` (the app starts without Redis and reports not ready). */
export function waitReady(redis: Redis, ms: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      redis.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    redis.once('ready', done);
  });
}

/** QUIT when connected (flushes replies), else drop the socket; never waits on a dead server. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([redis.quit().catch(() => undefined), new Promise((r) => (timer = setTimeout(r, 500)))]);
    clearTimeout(timer);
  }
  redis.disconnect(false);
}
