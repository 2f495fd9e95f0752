import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../../config';
import { stopRefreshWhenClosed } from './cluster-refresh';
import { tolerateLoopStalls } from './loop-stall';

// Before any client exists: a stall of this process must not fail replies that arrived in time,
// and a closed Cluster must not go on refreshing its slot map.
tolerateLoopStalls();
stopRefreshWhenClosed();

/**
 * How long a connect may take (every client of ours): the command timeout, at least 1 s (a TLS
 * handshake to ElastiCache takes a few round trips). A command queued while its connection comes
 * up may therefore still be written up to this long after it was queued.
 */
export const connectTimeoutMs = (commandTimeoutMs: number): number =>
  Math.max(commandTimeoutMs, 1000);

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
    connectTimeout: connectTimeoutMs(commandTimeoutMs),
    retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
    // ioredis would re-send, after reconnecting, the commands that were in flight when the
    // connection dropped, even those whose callers already got "Command timed out" (a 503): an
    // increment answered 503 would then be applied seconds later. A failed command stays failed.
    autoResendUnfulfilledCommands: false,
    // ioredis turns rediss:// into TLS itself; nothing else is needed for ElastiCache in-transit TLS.
    ...extra,
  });
}

type ConnectionCfg = Pick<RedisConfig, 'mode' | 'url' | 'seeds' | 'commandTimeoutMs'>;

/**
 * The request-path client for REDIS_MODE: a fail-fast Redis (createRedis) or, in cluster mode, an
 * ioredis Cluster with the same fail-fast options on every node connection. Typed as Redis: the
 * commands the features use (scripts, GET, pipelines, status, quit) exist on both with the same
 * signatures, so features do not branch on the mode.
 */
export function createRedisClient(cfg: ConnectionCfg, extra: RedisOptions = {}): Redis {
  if (cfg.mode !== 'cluster') return createRedis(cfg.url, cfg.commandTimeoutMs, extra);
  const cluster = createCluster(cfg, {
    // No auto-pipelining in a cluster: ioredis follows a MOVED/ASK for a pipeline only when every
    // command in it failed with the same redirection, and an auto-pipeline mixes slots of one node,
    // so during a slot migration or a failover callers got the raw MOVED (a 500). Each command on
    // its own is redirected by itself. (Measured cost: docs/scaling.md.)
    enableAutoPipelining: false,
    // A command whose node connection closed under it may have run (and replicated) before the
    // node died: re-sending it to the new primary could apply an increment twice. It fails (503,
    // reconciled like any lost reply); MOVED/ASK/TRYAGAIN/CLUSTERDOWN, never executed, are followed.
    retryDelayOnFailover: 0,
    redisOptions: {
      maxRetriesPerRequest: 1,
      commandTimeout: cfg.commandTimeoutMs,
      connectTimeout: connectTimeoutMs(cfg.commandTimeoutMs),
      autoResendUnfulfilledCommands: false,
      ...extra,
    },
  });
  queueWhileNodeConnects(cluster);
  return cluster as unknown as Redis;
}

/**
 * ioredis connects to a cluster node only when a command first needs it, and with the offline
 * queue off it refuses ("Connection is closed.") every other command for that node until the
 * connect completes: a new pod's first burst, spread over the slots, got 503s for nodes it had
 * not used yet (test/redis-cluster-cold-start.e2e-spec.ts). The Cluster reads this option on each
 * command, and only for two things: may a command go to a node connection that is not ready yet
 * (the node's own offline queue holds it until the connect ends), and may the Cluster queue a
 * command while it has no slot map. So it is on exactly while the Cluster is ready: a command
 * then waits for its node's connect, bounded by the command timeout (set when it is queued) and
 * the connect timeout (a node connection that fails ends, with no reconnect, and fails what it
 * holds); before the first slot map, and while the Cluster reconnects, commands still fail at
 * once ("Cluster isn't ready") instead of piling up to run later. A command that timed out while
 * queued is still written if the node then connects: like any "Command timed out", it may have
 * run (the 503's usual meaning; key-free increments are reconciled). Checked against ioredis 6.0
 * (cluster/index.js, tryConnection; redis/event_handler.js, the offline queue on ready).
 */
function queueWhileNodeConnects(cluster: Cluster): void {
  Object.defineProperty(cluster.options, 'enableOfflineQueue', {
    get: () => cluster.status === 'ready',
    configurable: true,
    enumerable: true,
  });
}

/**
 * An ioredis Cluster from the seeds. TLS and AUTH come from the seed URLs (rediss://, user and
 * password), as for standalone. With TLS the node names are kept as they are (no DNS lookup by
 * ioredis): ElastiCache's certificates name the hosts, not their IPs, and its configuration
 * endpoint is one DNS name for every node (ioredis then learns the rest with CLUSTER SLOTS).
 */
export function createCluster(
  cfg: Pick<RedisConfig, 'seeds'>,
  options: ClusterOptions & { redisOptions?: RedisOptions },
): Cluster {
  const urls = cfg.seeds.map((s) => new URL(s));
  const tls = urls.some((u) => u.protocol === 'rediss:');
  const withAuth = urls.find((u) => u.username || u.password);
  const nodes = urls.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) }));
  return new Cluster(nodes, {
    enableAutoPipelining: true,
    // Slot map refreshed every second besides on MOVED and node loss: a failover is seen soon.
    slotsRefreshInterval: 1000,
    slotsRefreshTimeout: 1000,
    clusterRetryStrategy: (times) => Math.min(100 * 2 ** times, 2000),
    ...(tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    ...options,
    redisOptions: {
      ...(withAuth
        ? {
            username: decodeURIComponent(withAuth.username) || undefined,
            password: decodeURIComponent(withAuth.password) || undefined,
          }
        : {}),
      ...(tls ? { tls: {} } : {}),
      ...options.redisOptions,
    },
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
