import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { ShutdownState } from '../common/lifecycle/shutdown.state';
import { redisConfig, tasksConfig, type RedisConfig, type TasksConfig } from '../config';
import { bullPrefix, bullWorkerConnection } from '../infra/redis';
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
  private worker?: Worker;

  constructor(
    @Inject(tasksConfig.KEY) private readonly cfg: TasksConfig,
    @Inject(redisConfig.KEY) private readonly redisCfg: RedisConfig,
    private readonly registry: TaskRegistry,
    private readonly metrics: TasksMetrics,
    private readonly shutdown: ShutdownState,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = new Worker(this.cfg.queueName, (job) => this.process(job), {
      connection: bullWorkerConnection(this.redisCfg),
      prefix: bullPrefix(this.redisCfg),
      concurrency: this.cfg.concurrency,
      lockDuration: this.cfg.lockDurationMs,
      stalledInterval: this.cfg.stalledIntervalMs,
      maxStalledCount: 1,
    });
    this.worker.on('error', (err) => this.logger.warn(`worker: ${err.message}`));
    this.worker.on('failed', (job, err) => {
      if (job) this.logger.log(`task ${job.id} (${job.name}) run ${job.attemptsStarted} failed: ${err.message}`);
    });
    this.shutdown.onDrain(() => void this.worker?.pause(true).catch(() => undefined));
  }

  async onModuleDestroy(): Promise<void> {
    await this.worker?.close();
  }

  private async process(job: Job): Promise<unknown> {
    const handler = this.registry.find(job.name);
    if (!handler) throw new UnrecoverableError(`no handler for task type ${job.name}`);
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
      throw e;
    }
  }
}
