import { Redis, type RedisOptions } from 'ioredis';

/**
 * Request-path client: fails fast instead of queueing while Redis is down (no offline queue,
 * one retry, a command timeout), and reconnects by itself in the background.
 */
export function createRedis(
  url: string,
  commandTimeoutMs: number,
  extra: RedisOptions = {},
): Redis {
  return new Redis(url, {
    // Commands issued in the same tick (concurrent requests) go out in one write.
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: Math.max(commandTimeoutMs, 1000),
    retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
    // ioredis would re-send, after reconnecting, the commands that were in flight when the
    // connection dropped, even those whose callers already got "Command timed out" (a 503): an
    // increment answered 503 would then be applied seconds later. A failed command stays failed.
    autoResendUnfulfilledCommands: false,
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
    const cap = new Promise((r) => (timer = setTimeout(r, 500)));
    // Cleared once QUIT answers: a pending timer keeps the process (or a Jest worker) alive.
    await Promise.race([redis.quit().catch(() => undefined), cap]).finally(() =>
      clearTimeout(timer),
    );
  }
  redis.disconnect(false);
}
