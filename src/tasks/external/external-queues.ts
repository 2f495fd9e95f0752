import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Queue, Worker, type Job } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { redisConfig, tasksConfig, type RedisConfig, type TasksConfig } from '../../config';
import { BULLMQ_PRODUCER, bullPrefix, bullWorkerConnection } from '../../infra/redis';
import { TasksMetrics } from '../tasks.metrics';
import { ExternalTypes } from './external-types';

/**
 * The BullMQ side of external task types: one queue per type (`<TASKS_QUEUE_NAME>-x-<type>`), so
 * a lease for some types takes only those, in BullMQ's own priority/FIFO order, and the built-in
 * worker never sees them. Queues use the producer connection; a `Worker` without a processor
 * per leased type (created on the first lease in this process) does the manual fetching
 * (`getNextJob` with a lock token) and runs the stalled-job checker that puts an expired lease back.
 *
 * Connections: every queue shares the producer connection; each leased type adds one Worker
 * (its command connection and its blocking one, which manual non-blocking fetching never uses).
 * A waiting lease holds no connection: it retries a non-blocking fetch when woken or every POLL_MS.
 */
@Injectable()
export class ExternalQueues implements OnApplicationShutdown {
  private readonly logger = new Logger('ExternalQueues');
  readonly types: ExternalTypes;
  private readonly queues = new Map<string, Queue>();
  private readonly workers = new Map<string, Worker>();
  /** The workers' Cluster clients (cluster mode), closed after the workers. */
  private readonly clusters: Cluster[] = [];
  private readonly waiters = new Set<() => void>();
  /** External types seen in the Redis set by this process (the set only grows). */
  private readonly seen = new Set<string>();
  private readonly prefix: string;

  constructor(
    @Inject(tasksConfig.KEY) private readonly cfg: TasksConfig,
    @Inject(redisConfig.KEY) private readonly redisCfg: RedisConfig,
    @Inject(BULLMQ_PRODUCER) private readonly producer: Redis,
    private readonly metrics: TasksMetrics,
  ) {
    this.types = new ExternalTypes(cfg.externalTypes);
    // Cluster: the main queue's hash tag, so a batch spanning queues stays one slot (one MULTI).
    this.prefix = bullPrefix(redisCfg, this.cfg.queueName);
  }

  /** The Redis set of every external type that ever had a task: where `find` looks. */
  private get typesKey(): string {
    return `${this.prefix}:${this.cfg.queueName}:external-types`;
  }

  queue(type: string): Queue {
    let q = this.queues.get(type);
    if (!q) {
      q = new Queue(`${this.cfg.queueName}-x-${type}`, {
        connection: this.producer as never,
        prefix: this.prefix,
      });
      q.on('error', () => undefined); // outages reach callers as 503s
      this.queues.set(type, q);
    }
    return q;
  }

  /** The manual-fetching worker of a type; its stalled checker starts with it. */
  worker(type: string): Worker {
    let w = this.workers.get(type);
    if (!w) {
      w = new Worker(`${this.cfg.queueName}-x-${type}`, null, {
        connection: this.workerConnection(),
        prefix: this.prefix,
        autorun: false,
        lockDuration: this.cfg.lockDurationMs,
        stalledInterval: this.cfg.stalledIntervalMs,
        // An expired lease counts as a run: after maxAttempts of them the task fails.
        maxStalledCount: Math.max(this.cfg.maxAttempts - 1, 0),
      });
      w.on('error', (err) => this.logger.warn(`external worker ${type}: ${err.message}`));
      // The stalled checker put a task whose lease ran out back in the queue (or failed it).
      w.on('stalled', () => this.metrics.leasesExpired.inc({ type }));
      void w.startStalledCheckTimer().catch(() => undefined);
      this.workers.set(type, w);
    }
    return w;
  }

  /**
   * The worker connection with auto-pipelining (standalone mode): a lease sends its fetches
   * together, and they then leave in one write instead of one each. Safe here because these
   * workers never block (manual, non-blocking fetching); a cluster keeps the shared options.
   */
  private workerConnection(): ReturnType<typeof bullWorkerConnection> {
    const conn = bullWorkerConnection(this.redisCfg);
    if (this.redisCfg.mode !== 'cluster') return { ...conn, enableAutoPipelining: true };
    // A Cluster is a client, not options: BullMQ does not close a client it was given.
    this.clusters.push(conn as Cluster);
    return conn;
  }

  /** Records that `type` has tasks, so lookups by id know its queue. */
  async remember(type: string): Promise<void> {
    await this.producer.sadd(this.typesKey, type);
    this.seen.add(type);
  }

  /** Every external type that may hold tasks (declared names and those seen in Redis). */
  async known(): Promise<string[]> {
    if (!this.types.enabled) return [];
    const seen = await this.producer.smembers(this.typesKey);
    for (const t of seen) if (this.types.matches(t)) this.seen.add(t);
    return [...new Set([...this.types.names, ...seen])].filter((t) => this.types.matches(t));
  }

  /**
   * The external task with this id, in whichever type's queue holds it. The types known in this
   * process are tried first (one round trip: the getJobs are pipelined), and the Redis set only
   * when they miss: a type first used through another replica. Every complete and heartbeat
   * goes through here, so this saves a round trip on each.
   */
  async find(id: string): Promise<Job | undefined> {
    if (!this.types.enabled) return undefined;
    const look = async (types: string[]) => {
      const jobs = await Promise.all(types.map((t) => this.queue(t).getJob(id)));
      return jobs.find((j): j is Job => Boolean(j));
    };
    const cached = [...new Set([...this.types.names, ...this.seen])];
    const job = cached.length ? await look(cached) : undefined;
    if (job) return job;
    const rest = (await this.known()).filter((t) => !cached.includes(t));
    return rest.length ? look(rest) : undefined;
  }

  /** The queue a job belongs to (for remove/getJob on the right keys). */
  queueOf(job: Job): Queue | undefined {
    for (const q of this.queues.values()) if (q.name === job.queueName) return q;
    return undefined;
  }

  /** Wakes the leases waiting in this process (a task was just submitted or put back). */
  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  /** Resolves on the next notify, or after `ms`. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(ms, 0));
      this.waiters.add(done);
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.notify();
    await Promise.allSettled([...this.workers.values()].map((w) => w.close(true)));
    await Promise.allSettled([...this.queues.values()].map((q) => q.close()));
    for (const c of this.clusters) c.disconnect();
  }
}
