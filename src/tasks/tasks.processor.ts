import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { ShutdownState } from '../common/lifecycle/shutdown.state';
import {
  appConfig,
  redisConfig,
  tasksConfig,
  type AppConfig,
  type RedisConfig,
  type TasksConfig,
} from '../config';
import type { Redis } from 'ioredis';
import { REDIS, bullWorkerConnection } from '../infra/redis';
import { annotateActiveSpan, bullTelemetry, failActiveSpan } from '../observability/tracing/spans';
import { TaskQueues } from './task-queues';
import { TaskRegistry } from './task-registry';
import { TasksMetrics } from './tasks.metrics';

/**
 * The BullMQ worker (roles `worker` and `all`). Built here rather than with @Processor because
 * its queue name, concurrency and lock settings come from config, and it needs the worker-side
 * connection (never the producer's fail-fast one). On SIGTERM it stops taking tasks at once;
 * on close it lets active ones finish (main.ts bounds that by SHUTDOWN_TIMEOUT_MS). A worker
 * that dies leaves its lock to expire: stalled-job recovery in any other worker re-queues the task.
 */
@Injectable()
export class TasksWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('TasksWorker');
  /** One BullMQ Worker per queue (TASKS_QUEUE_SHARDS), each with TASKS_CONCURRENCY. */
  private workers: Worker[] = [];
  /** The workers' cluster clients (cluster mode): a passed-in client is ours to close, not BullMQ's. */
  private clusters: Array<{ disconnect(): void }> = [];
  /** Tasks this process is running now: shutdown waits for these, not for BullMQ's poll loop. */
  private readonly active = new Set<Promise<unknown>>();

  constructor(
    @Inject(tasksConfig.KEY) private readonly cfg: TasksConfig,
    @Inject(redisConfig.KEY) private readonly redisCfg: RedisConfig,
    private readonly registry: TaskRegistry,
    private readonly queues: TaskQueues,
    private readonly metrics: TasksMetrics,
    private readonly shutdown: ShutdownState,
    @Inject(appConfig.KEY) private readonly app: AppConfig,
    @Inject(REDIS) private readonly redis: Redis,
  ) {}

  onApplicationBootstrap(): void {
    this.workers = this.queues.specs.map((spec) => this.consume(spec.name, spec.prefix));
    this.shutdown.onDrain(() => {
      for (const w of this.workers) void w.pause(true).catch(() => undefined);
    });
  }

  private consume(name: string, prefix: string): Worker {
    const connection = bullWorkerConnection(this.redisCfg);
    if ('disconnect' in connection) this.clusters.push(connection as { disconnect(): void });
    const worker = new Worker(name, (job) => this.process(job), {
      connection,
      prefix,
      concurrency: this.cfg.concurrency,
      lockDuration: this.cfg.lockDurationMs,
      stalledInterval: this.cfg.stalledIntervalMs,
      maxStalledCount: 1,
      // Tracing on: one `process <queue>` span per attempt, a child of the job's `add` span.
      telemetry: bullTelemetry() as never,
    });
    worker.on('error', (err) => this.logger.warn(`worker ${name}: ${err.message}`));
    worker.on('failed', (job, err) => {
      if (job)
        this.logger.log(
          `task ${job.id} (${job.name}) run ${job.attemptsStarted} failed: ${err.message}`,
        );
    });
    return worker;
  }

  /**
   * Lets active tasks finish within the shutdown budget; past it (or at once when Redis is
   * gone, where a graceful close would wait forever) the worker is force-closed and its
   * unfinished tasks are left to stalled-job recovery, never lost.
   */
  async onModuleDestroy(): Promise<void> {
    const workers = this.workers;
    if (!workers.length) return;
    // Take nothing new.
    await Promise.all(workers.map((w) => w.pause(true).catch(() => undefined)));
    // The shared request-path client talks to the same Redis: its state says whether it is up.
    const graceMs =
      this.redis.status === 'ready' ? Math.max(this.app.shutdownTimeoutMs - 2000, 1000) : 0;
    const finished = await within(Promise.allSettled(this.active), graceMs);
    if (!finished)
      this.logger.warn(
        `tasks still running after ${graceMs} ms; stalled-job recovery takes them over`,
      );
    // Our own tasks are done (or given up on): close without waiting on BullMQ's blocking poll,
    // which can hang for seconds after a Redis restart. (close() then close(true) would not
    // help: BullMQ returns the first, pending close to the second call.)
    await within(Promise.allSettled(workers.map((w) => w.close(true))), 3000);
    for (const c of this.clusters) c.disconnect();
  }

  private process(job: Job): Promise<unknown> {
    const run = this.run(job);
    this.active.add(run);
    void run.finally(() => this.active.delete(run)).catch(() => undefined);
    return run;
  }

  private async run(job: Job): Promise<unknown> {
    const handler = this.registry.find(job.name);
    if (!handler) throw new UnrecoverableError(`no handler for task type ${job.name}`);
    annotateActiveSpan({
      'task.id': job.id as string,
      'task.type': job.name,
      'task.attempt': job.attemptsStarted,
      'task.max_attempts': job.opts.attempts ?? 1,
    });
    const end = this.metrics.duration.startTimer({ type: job.name });
    try {
      const result = await handler.run(job.data, {
        id: job.id as string,
        run: job.attemptsStarted,
        progress: (value) => job.updateProgress(value),
      });
      end({ result: 'completed' });
      return result ?? null;
    } catch (e) {
      end({ result: 'failed' });
      failActiveSpan(e);
      throw e;
    }
  }
}

/** True when `p` settles within `ms`; the timer never keeps the process alive. */
function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    timer.unref();
    p.then(
      () => (clearTimeout(timer), resolve(true)),
      () => (clearTimeout(timer), resolve(true)),
    );
  });
}
