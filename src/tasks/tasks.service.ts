import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { ConflictException, HttpException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { InjectQueue } from '@nestjs/bullmq';
import type { Job, JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DependencyUnavailableException } from '../common/errors/error-body';
import { redisConfig, tasksConfig, type RedisConfig, type TasksConfig } from '../config';
import { BULLMQ_PRODUCER, isRedisUnavailable, waitReady } from '../infra/redis';
import { TaskPages, type Page, type PageQuery } from './task-pages';
import { TaskRegistry } from './task-registry';
import { toTask } from './task.mapper';
import { DEFAULT_PRIORITY, statusOf, TASKS_QUEUE, type Task } from './task.types';
import { TasksMetrics } from './tasks.metrics';

export interface SubmitTask {
  type: string;
  payload?: unknown;
  id?: string;
  priority?: number;
  delayMs?: number;
  maxAttempts?: number;
}

/** What makes two submissions with the same id "the same". */
interface Fingerprint {
  type: string;
  payload: unknown;
  priority: number;
  delayMs: number;
  maxAttempts: number;
}

/** The payload as Redis will hold it (JSON: undefined fields dropped), so comparisons are like for like. */
const asStored = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));

const unavailable = () => new DependencyUnavailableException('Redis');

/**
 * Tasks on BullMQ: the job is the record. Every Redis call fails fast with 503 when Redis is
 * down (the producer connection has no offline queue; a not-ready connection is not even tried).
 */
@Injectable()
export class TasksService {
  private readonly pages: TaskPages;

  constructor(
    @InjectQueue(TASKS_QUEUE) private readonly queue: Queue,
    @Inject(BULLMQ_PRODUCER) private readonly producer: Redis,
    @Inject(tasksConfig.KEY) private readonly cfg: TasksConfig,
    @Inject(redisConfig.KEY) private readonly redisCfg: RedisConfig,
    private readonly registry: TaskRegistry,
    private readonly metrics: TasksMetrics,
  ) {
    this.pages = new TaskPages(queue, producer);
    // Connection errors reach callers as 503s and /health/ready; without a listener BullMQ prints each one.
    queue.on('error', () => undefined);
    metrics.watch(() => this.redisOp(() => queue.getJobCounts()));
  }

  get types(): string[] {
    return this.registry.types;
  }

  /** Creates a task; with a client id, the same body again returns the existing task (created: false). */
  async submit(input: SubmitTask): Promise<{ task: Task; created: boolean }> {
    const handler = this.registry.get(input.type);
    const fp: Fingerprint = {
      type: input.type,
      payload: asStored(handler.parse(input.payload)),
      priority: input.priority ?? DEFAULT_PRIORITY,
      delayMs: input.delayMs ?? 0,
      maxAttempts: input.maxAttempts ?? this.cfg.maxAttempts,
    };
    const id = input.id ?? randomUUID();
    return this.redisOp(async () => {
      if (input.id) {
        const existing = await this.queue.getJob(id);
        if (existing) return { task: await this.view(this.sameOrConflict(existing, fp)), created: false };
      }
      const added = await this.queue.add(fp.type, fp.payload, this.jobOptions(id, fp));
      if (!input.id) {
        // A fresh UUID cannot collide: the job as added is the record, no read-back needed.
        this.metrics.submitted.inc({ type: fp.type });
        return { task: toTask(added, fp.delayMs ? 'delayed' : 'queued'), created: true };
      }
      // add() is a no-op on an existing id: read back what is stored, in case another request won a race.
      const stored = await this.queue.getJob(id);
      if (!stored) throw new NotFoundException(`Task ${id} was removed right after it was created`);
      this.sameOrConflict(stored, fp);
      this.metrics.submitted.inc({ type: fp.type });
      return { task: await this.view(stored), created: true };
    });
  }

  async get(id: string): Promise<Task> {
    return this.redisOp(async () => this.view(await this.mustFind(id)));
  }

  list(q: PageQuery): Promise<Page> {
    if (q.type !== undefined) this.registry.get(q.type); // an unknown type filter is a 400 listing the known ones
    return this.redisOp(() => this.pages.page(q));
  }

  /** Removes a queued, delayed or finished task; an active one is 409. */
  async remove(id: string): Promise<Task> {
    return this.redisOp(async () => {
      const task = await this.view(await this.mustFind(id));
      if (task.status === 'active') throw new ConflictException(`Task ${id} is active; it can be deleted once it finishes`);
      try {
        await this.queue.remove(id);
      } catch (e) {
        if (/locked/i.test((e as Error).message)) throw new ConflictException(`Task ${id} became active; it can be deleted once it finishes`);
        throw e;
      }
      return task;
    });
  }

  /** Queues a failed task again with a fresh round of attempts; any other status is 409. */
  async retry(id: string): Promise<Task> {
    return this.redisOp(async () => {
      const job = await this.mustFind(id);
      const state = await job.getState();
      if (state !== 'failed') throw new ConflictException(`Task ${id} is ${statusOf(state) ?? state}; only a failed task can be retried`);
      try {
        await job.retry('failed', { resetAttemptsMade: true });
      } catch (e) {
        if (/not in the failed state|is not in the/i.test((e as Error).message)) throw new ConflictException(`Task ${id} is no longer failed`);
        throw e;
      }
      return this.view(await this.mustFind(id));
    });
  }

  private jobOptions(id: string, fp: Fingerprint): JobsOptions {
    return {
      jobId: id,
      priority: fp.priority, // always set, so every task is ordered by priority (0 would jump the line)
      delay: fp.delayMs || undefined,
      attempts: fp.maxAttempts,
      backoff: { type: 'exponential', delay: this.cfg.backoffMs },
      removeOnComplete: this.cfg.retention,
      removeOnFail: this.cfg.retention,
    };
  }

  private sameOrConflict(job: Job, fp: Fingerprint): Job {
    const stored: Fingerprint = {
      type: job.name,
      payload: job.data ?? null,
      priority: job.opts.priority || DEFAULT_PRIORITY,
      delayMs: job.opts.delay ?? 0,
      maxAttempts: job.opts.attempts ?? 1,
    };
    if (!isDeepStrictEqual(stored, { ...fp, payload: fp.payload ?? null })) {
      throw new ConflictException(`Task ${job.id} already exists with a different body`);
    }
    return job;
  }

  private async mustFind(id: string): Promise<Job> {
    const job = await this.queue.getJob(id);
    if (!job) throw new NotFoundException(`Task ${id} not found`);
    return job;
  }

  private async view(job: Job): Promise<Task> {
    const status = statusOf(await job.getState());
    if (!status) throw new NotFoundException(`Task ${job.id} not found`);
    // The job was read before its state: if it finished in between, read it again for its result.
    if ((status === 'completed' || status === 'failed') && !job.finishedOn) {
      const fresh = await this.queue.getJob(job.id as string);
      if (fresh) return toTask(fresh, status);
    }
    return toTask(job, status);
  }

  /** Runs Redis work only on a ready connection, bounded in time; outages become 503. */
  private async redisOp<T>(fn: () => Promise<T>): Promise<T> {
    const budget = this.redisCfg.commandTimeoutMs;
    // A connect in flight (startup, or a reconnect about to succeed) gets a short grace, no more.
    if (this.producer.status === 'connecting' || this.producer.status === 'connect') {
      await waitReady(this.producer, Math.min(budget, 500));
    }
    if (this.producer.status !== 'ready') throw unavailable();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable()), budget * 3);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (e) {
      if (!(e instanceof HttpException) && isRedisUnavailable(e)) throw unavailable();
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }
}
