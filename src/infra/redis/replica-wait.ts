import calculateSlot from 'cluster-key-slot';
import type { Cluster, Redis } from 'ioredis';

interface Pending {
  inFlight: boolean;
  waiting: Array<(ok: boolean) => void>;
}

/**
 * Confirms that writes reached `replicas` replicas (REDIS_WAIT_REPLICAS) with Redis's WAIT.
 * WAIT counts the writes made on the connection it is sent on, and blocks that connection until
 * the replicas acknowledge (or the timeout): so it goes to the connection of the node that owns
 * the key, and one WAIT at a time per connection covers every write answered before it was sent.
 * Under load one WAIT confirms a whole batch of writes instead of each blocking the connection.
 */
export class ReplicaWait {
  private readonly pending = new Map<Redis, Pending>();

  constructor(
    private readonly redis: Redis,
    private readonly replicas: number,
    private readonly timeoutMs: number,
  ) {}

  /** True once `replicas` replicas have every write made so far through `key`'s node; false on timeout or error. */
  confirm(key: string): Promise<boolean> {
    const conn = this.connectionOf(key);
    if (!conn) return Promise.resolve(false);
    let p = this.pending.get(conn);
    if (!p) this.pending.set(conn, (p = { inFlight: false, waiting: [] }));
    const entry = p;
    return new Promise((resolve) => {
      entry.waiting.push(resolve);
      this.flush(conn, entry);
    });
  }

  private flush(conn: Redis, p: Pending): void {
    if (p.inFlight || !p.waiting.length) return;
    const batch = p.waiting;
    p.waiting = [];
    p.inFlight = true;
    void conn
      .wait(this.replicas, this.timeoutMs)
      .then(
        (n) => n >= this.replicas,
        () => false,
      )
      .then((ok) => {
        p.inFlight = false;
        for (const resolve of batch) resolve(ok);
        if (!p.waiting.length && conn.status !== 'ready') this.pending.delete(conn);
        this.flush(conn, p);
      });
  }

  /** The connection the key's commands go out on: the client itself, or its slot's primary in a cluster. */
  private connectionOf(key: string): Redis | undefined {
    if (!this.redis.isCluster) return this.redis;
    const cluster = this.redis as unknown as Cluster;
    const nodeKey = cluster.slots[calculateSlot(key)]?.[0];
    if (!nodeKey) return undefined;
    return cluster.nodes('master').find((n) => `${n.options.host}:${n.options.port}` === nodeKey);
  }
}
