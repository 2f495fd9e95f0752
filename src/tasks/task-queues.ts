import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DependencyUnavailableException } from '../common/errors/error-body';
import { redisConfig, tasksConfig, type RedisConfig, type TasksConfig } from '../config';
import { BULLMQ_PRODUCER, bullPrefix } from '../infra/redis';
import { bullTelemetry } from '../observability/tracing/spans';
import { routeTypes, shardQueueName, shardTag } from './queue-shards';
import { TaskRegistry } from './task-registry';
import { TASKS_QUEUE } from './task.types';

/** What a consumer of a queue needs (a Worker, QueueEvents): BullMQ's queue name and key prefix. */
export interface QueueSpec {
  name: string;
  prefix: string;
}

/**
 * The queues of the built-in task types (TASKS_QUEUE_SHARDS of them, default 1): which exist,
 * which one a type goes to, and where a task id is. The one place that knows the layout, so
 * every route, the worker, the schedules, the queue UI and the metrics go through it.
 *
 * - Queue 0 is the `TASKS_QUEUE` one (TASKS_QUEUE_NAME, prefix and hash tag as with one queue);
 *   queue i ≥ 1 is `<TASKS_QUEUE_NAME>-q<i>`, with its own hash tag in cluster mode (shardTag), so
 *   the queues spread over the shards. All share the producer connection.
 * - A type's queue: the built-in types, sorted, dealt round-robin (routeTypes). Routing by type
 *   keeps each type's priority and FIFO order (one queue); across queues workers run in parallel.
 * - External types keep their own queues (ExternalQueues), on queue 0's hash tag.
 */
@Injectable()
export class TaskQueues implements OnModuleInit, OnApplicationShutdown {
  readonly specs: QueueSpec[];
  private readonly main0: Queue;
  /** Queues 1…, each set once its connection checks passed (waitUntilReady). */
  private readonly extra: Array<Queue | undefined> = [];
  /** Queues 1… being opened: settles when the queue is usable or its start failed. */
  private readonly opening: Array<Promise<void> | undefined> = [];
  private routes?: Map<string, number>;
  private closed = false;

  constructor(
    @InjectQueue(TASKS_QUEUE) main: Queue,
    @Inject(BULLMQ_PRODUCER) private readonly producer: Redis,
    @Inject(tasksConfig.KEY) cfg: TasksConfig,
    @Inject(redisConfig.KEY) redisCfg: RedisConfig,
    private readonly registry: TaskRegistry,
  ) {
    const n = cfg.queueShards;
    this.specs = Array.from({ length: n }, (_, i) => ({
      name: shardQueueName(cfg.queueName, i),
      prefix: bullPrefix(redisCfg, shardTag(cfg.queueName, i, n)),
    }));
    this.main0 = main;
  }

  onModuleInit(): void {
    if (this.specs.length === 1) return;
    // Opened as soon as the producer connection is ready (and again after it reconnects), not by
    // the first request: that one would otherwise pay for, or fail with, the queue's start.
    this.producer.on('ready', () => this.openMissing());
    this.openMissing();
  }

  /**
   * Every built-in queue, queue 0 first. Queues 1… are opened when the producer connection is
   * ready and opened again if their start failed: BullMQ's first command (INFO, sent to any node
   * of a cluster) fails on the fail-fast connection when that node is down or unreachable, and
   * a Queue keeps that failure for good. A queue is listed only once started; before that,
   * or while one restarts, this throws the 503 (request paths first wait briefly in whenOpen).
   */
  get all(): Queue[] {
    if (this.specs.length === 1) return [this.main0];
    this.openMissing();
    const extra = this.extra.filter((q): q is Queue => Boolean(q));
    // Never a partial list: a lookup missing a queue would answer 404 for a task that exists.
    if (extra.length < this.specs.length - 1) throw new DependencyUnavailableException('Redis');
    return [this.main0, ...extra];
  }

  /**
   * Waits up to `ms` for every queue to be started (all started: returns at once), so a request
   * arriving while a queue (re)starts is served instead of answered 503.
   */
  async whenOpen(ms: number): Promise<void> {
    if (this.specs.length === 1) return;
    const deadline = Date.now() + ms;
    for (;;) {
      this.openMissing();
      if (this.extra.filter(Boolean).length === this.specs.length - 1) return;
      const left = deadline - Date.now();
      if (left <= 0) return;
      const pending = this.opening.filter((p): p is Promise<void> => Boolean(p));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        // None pending: the producer is not ready, or a failed start waits for its retry.
        pending.length ? Promise.all(pending) : new Promise((r) => setTimeout(r, 50)),
        new Promise<void>((r) => (timer = setTimeout(r, left))),
      ]).finally(() => clearTimeout(timer));
    }
  }

  /** Starts every queue 1… neither open nor starting, if the producer connection is ready. */
  private openMissing(): void {
    if (this.closed || this.producer.status !== 'ready') return;
    for (let i = 1; i < this.specs.length; i++) {
      if (!this.extra[i - 1] && !this.opening[i - 1]) this.opening[i - 1] = this.open(i);
    }
  }

  private async open(i: number): Promise<void> {
    const { name, prefix } = this.specs[i];
    const q = new Queue(name, {
      connection: this.producer as never,
      prefix,
      telemetry: bullTelemetry() as never,
    });
    q.on('error', () => undefined); // outages reach callers as 503s
    try {
      await q.waitUntilReady();
      if (this.closed) await q.close();
      else this.extra[i - 1] = q;
    } catch {
      void q.close().catch(() => undefined);
      // Its INFO went to a node that is down or unreachable: try again soon, not only on
      // the next request (a Queue never recovers from a failed start).
      setTimeout(() => this.openMissing(), 200).unref();
    } finally {
      this.opening[i - 1] = undefined;
    }
  }

  get main(): Queue {
    return this.main0;
  }

  /** The queue of a built-in type (an unknown type: queue 0). */
  forType(type: string): Queue {
    if (this.specs.length === 1) return this.main;
    return this.all[this.indexOf(type)];
  }

  /** The index of a built-in type's queue (an unknown type: 0). */
  private indexOf(type: string): number {
    // Built lazily: handlers are registered at module init, after this constructor.
    this.routes ??= routeTypes(this.registry.builtIn, this.specs.length);
    return this.routes.get(type) ?? 0;
  }

  /** The built-in queue called `name`. */
  byName(name: string): Queue | undefined {
    return this.all.find((q) => q.name === name);
  }

  /** Where each built-in type goes (docs, tests, the events route): names only, no queue needed. */
  get routing(): Record<string, string> {
    return Object.fromEntries(
      this.registry.builtIn.map((t) => [t, this.specs[this.indexOf(t)].name]),
    );
  }

  /** Every copy of a task id in the built-in queues, in queue order (one round trip: pipelined getJobs). */
  async findAll(id: string): Promise<Job[]> {
    const jobs = await Promise.all(this.all.map((q) => q.getJob(id) as Promise<Job | undefined>));
    return jobs.filter((j): j is Job => Boolean(j));
  }

  /** The task with this id in the first queue that holds it. */
  async find(id: string): Promise<Job | undefined> {
    if (this.specs.length === 1) return (await this.main.getJob(id)) ?? undefined;
    return (await this.findAll(id))[0];
  }

  /** Job counts by state, summed over the queues. */
  async counts(): Promise<Record<string, number>> {
    const all = await Promise.all(this.all.map((q) => q.getJobCounts()));
    const sum: Record<string, number> = {};
    for (const c of all) for (const [k, v] of Object.entries(c)) sum[k] = (sum[k] ?? 0) + v;
    return sum;
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.opening);
    // Queue 0 belongs to BullModule, which closes it.
    await Promise.allSettled(this.extra.map((q) => q?.close()));
  }
}
