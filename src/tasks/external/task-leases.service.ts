import { randomUUID } from 'node:crypto';
import { HttpException, HttpStatus, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { DependencyUnavailableException } from '../../common/errors/error-body';
import { appError } from '../../common/errors/error-codes';
import { validationFailed } from '../../common/errors/validation';
import { redisConfig, type RedisConfig } from '../../config';
import { BULLMQ_PRODUCER, isBullLockLost, isRedisUnavailable, waitReady } from '../../infra/redis';
import { TaskRegistry } from '../task-registry';
import { toTask } from '../task.mapper';
import { checkType, typeAllowed } from '../task-access';
import { statusOf, type Task, type TaskCaller } from '../task.types';
import { ExternalQueues } from './external-queues';

export interface LeaseRequest {
  types: string[];
  max?: number;
  waitSeconds?: number;
  leaseSeconds?: number;
}

export interface Leased {
  task: Task;
  leaseToken: string;
  leaseExpiresAt: string;
}

/** How often a waiting lease retries a fetch when nothing woke it (a task queued by another replica). */
export const POLL_MS = 250;
export const LEASE_DEFAULTS = { max: 1, waitSeconds: 0, leaseSeconds: 60 };

/**
 * The lease token is BullMQ's lock token for the job, with the lease length after a dot: a
 * heartbeat extends by that length, and a client that edits it no longer holds the lock.
 */
export const LEASE_TOKEN_PATTERN =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.[0-9]{1,4}$/;

const leaseMsOf = (token: string): number => Number(token.split('.')[1]) * 1000;
const lost = (id: string) =>
  appError(
    HttpStatus.CONFLICT,
    'TASK_LEASE_LOST',
    `The lease of task ${id} is not held by this token (wrong, or expired and the task went back to the queue); nothing changed`,
  );

/**
 * Workers outside this service over HTTP: lease (BullMQ manual fetching, `getNextJob` with a
 * token of ours), heartbeat (`extendLock`), complete/fail (`moveToCompleted`/`moveToFailed` with
 * the token). BullMQ's scripts check the token, so a wrong or expired one changes nothing.
 */
@Injectable()
export class TaskLeases {
  constructor(
    private readonly external: ExternalQueues,
    private readonly registry: TaskRegistry,
    @Inject(BULLMQ_PRODUCER) private readonly producer: Redis,
    @Inject(redisConfig.KEY) private readonly redisCfg: RedisConfig,
  ) {}

  /** Long-polls until at least one task of `types` is leased or `waitSeconds` pass ([]). */
  async lease(req: LeaseRequest, signal?: AbortSignal, who?: TaskCaller): Promise<Leased[]> {
    const bad = req.types.flatMap((t, i) =>
      this.registry.isExternal(t)
        ? []
        : [
            {
              field: `types.${i}`,
              messages: [
                `${t} is not an external task type (TASKS_EXTERNAL_TYPES: ${this.external.types.declared.join(', ') || 'none'})`,
              ],
            },
          ],
    );
    if (bad.length) throw validationFailed(bad);
    req.types.forEach((t, i) => checkType(who, t, `types.${i}`));
    const max = req.max ?? LEASE_DEFAULTS.max;
    const leaseSeconds = req.leaseSeconds ?? LEASE_DEFAULTS.leaseSeconds;
    const deadline = Date.now() + (req.waitSeconds ?? LEASE_DEFAULTS.waitSeconds) * 1000;
    const types = [...new Set(req.types)];
    for (;;) {
      const items = await this.take(types, max, leaseSeconds);
      if (items.length || Date.now() >= deadline || signal?.aborted) return items;
      await this.external.wait(Math.min(POLL_MS, deadline - Date.now()));
    }
  }

  async heartbeat(
    id: string,
    token: string,
    progress?: number,
    message?: string,
    who?: TaskCaller,
  ): Promise<{ leaseExpiresAt: string }> {
    return this.redisOp(async () => {
      const job = await this.mustFind(id, who);
      const leaseMs = leaseMsOf(token);
      const extended = await job.extendLock(token, leaseMs);
      if (!extended) throw lost(id);
      const at = new Date(Date.now() + leaseMs).toISOString();
      if (progress !== undefined) await job.updateProgress(progress);
      if (message !== undefined) await job.log(message);
      return { leaseExpiresAt: at };
    });
  }

  async complete(id: string, token: string, result: unknown, who?: TaskCaller): Promise<Task> {
    return this.redisOp(async () => {
      const job = await this.mustFind(id, who);
      await this.finish(id, () => job.moveToCompleted(result ?? null, token, false));
      return toTask(job, 'completed');
    });
  }

  /** A retryable failure uses the task's remaining attempts (with backoff); otherwise it fails now. */
  async fail(
    id: string,
    token: string,
    error: string,
    retryable = true,
    who?: TaskCaller,
  ): Promise<Task> {
    return this.redisOp(async () => {
      const job = await this.mustFind(id, who);
      const err = retryable ? new Error(error) : new UnrecoverableError(error);
      await this.finish(id, () => job.moveToFailed(err, token, false));
      if (statusOf(await job.getState()) !== 'failed') this.external.notify(); // back in the queue
      const fresh = (await this.external.queueOf(job)?.getJob(id)) ?? job;
      return toTask(fresh, statusOf(await fresh.getState()) ?? 'failed');
    });
  }

  private async take(types: string[], max: number, leaseSeconds: number): Promise<Leased[]> {
    const items: Leased[] = [];
    for (const type of types) {
      const worker = this.external.worker(type);
      while (items.length < max) {
        const token = `${randomUUID()}.${leaseSeconds}`;
        const job = await this.redisOp(() => worker.getNextJob(token, { block: false }));
        if (!job) break;
        // getNextJob locked it for TASKS_LOCK_DURATION_MS; the lease is what the worker asked for.
        await this.redisOp(() => job.extendLock(token, leaseSeconds * 1000));
        items.push({
          task: toTask(job, 'active'),
          leaseToken: token,
          leaseExpiresAt: new Date(Date.now() + leaseSeconds * 1000).toISOString(),
        });
      }
      if (items.length >= max) break;
    }
    return items;
  }

  private async finish(id: string, move: () => Promise<unknown>): Promise<void> {
    try {
      await move();
    } catch (e) {
      if (isBullLockLost(e)) throw lost(id);
      throw e;
    }
  }

  /** A type outside the key's `taskTypes` is not found either (as another key's task on GET). */
  private async mustFind(id: string, who?: TaskCaller): Promise<Job> {
    const job = await this.external.find(id);
    if (!job || !typeAllowed(who, job.name)) throw new NotFoundException(`No external task ${id}`);
    return job;
  }

  /** Like TasksService: only on a ready connection, bounded in time; outages become 503. */
  private async redisOp<T>(fn: () => Promise<T>): Promise<T> {
    const budget = this.redisCfg.commandTimeoutMs;
    if (this.producer.status === 'connecting' || this.producer.status === 'connect')
      await waitReady(this.producer, Math.min(budget, 500));
    if (this.producer.status !== 'ready') throw new DependencyUnavailableException('Redis');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new DependencyUnavailableException('Redis')), budget * 3);
    });
    try {
      return await Promise.race([fn(), timeout]);
    } catch (e) {
      if (!(e instanceof HttpException) && isRedisUnavailable(e))
        throw new DependencyUnavailableException('Redis');
      throw e;
    } finally {
      clearTimeout(timer);
    }
  }
}
