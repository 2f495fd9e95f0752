import { randomUUID } from 'node:crypto';
import { HttpStatus, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { appError } from '../../common/errors/error-codes';
import { validationFailed } from '../../common/errors/validation';
import { redisConfig, type RedisConfig } from '../../config';
import { BULLMQ_PRODUCER, isBullLockLost } from '../../infra/redis';
import { routeRedisOp } from '../redis-op';
import { TaskRegistry } from '../task-registry';
import { toTask } from '../task.mapper';
import { checkType, typeAllowed } from '../task-access';
import { statusOf, type Task, type TaskCaller } from '../task.types';
import { TasksMetrics } from '../tasks.metrics';
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
const lostMessage = (id: string) =>
  `The lease of task ${id} is not held by this token (wrong, or expired and the task went back to the queue); nothing changed`;
const lost = (id: string) => appError(HttpStatus.CONFLICT, 'TASK_LEASE_LOST', lostMessage(id));

export type CompleteOutcome =
  | { id: string; status: 'completed' }
  | { id: string; error: { code: 'TASK_LEASE_LOST' | 'NOT_FOUND'; message: string } };

/**
 * Workers outside this service over HTTP: lease (BullMQ manual fetching, `getNextJob` with a
 * token of ours), heartbeat (`extendLock`), complete/fail (`moveToCompleted`/`moveToFailed` with
 * the token). BullMQ's scripts check the token, so a wrong or expired one changes nothing.
 */
@Injectable()
export class TaskLeases {
  /** Types whose last fetch here found tasks without running dry (see take). */
  private readonly hot = new Set<string>();
  /**
   * The jobs this process leased, by lease token, until finished here or their lease ends: a
   * heartbeat, complete or fail with the token on this replica needs no lookup round trip. Safe
   * because BullMQ's scripts still compare the token with the job's lock (a token is one lease of
   * one job, and a job's options never change); a miss (another replica, a restart) looks it up.
   */
  private readonly leased = new Map<string, { job: Job; until: number }>();

  constructor(
    private readonly external: ExternalQueues,
    private readonly registry: TaskRegistry,
    @Inject(BULLMQ_PRODUCER) private readonly producer: Redis,
    @Inject(redisConfig.KEY) private readonly redisCfg: RedisConfig,
    private readonly metrics: TasksMetrics,
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
      const job = await this.mustFind(id, token, who);
      const leaseMs = leaseMsOf(token);
      const extended = await job.extendLock(token, leaseMs);
      if (!extended) throw lost(id);
      const at = new Date(Date.now() + leaseMs).toISOString();
      if (this.leased.has(token)) this.remember(token, job, Date.now() + leaseMs);
      if (progress !== undefined) await job.updateProgress(progress);
      if (message !== undefined) await job.log(message);
      return { leaseExpiresAt: at };
    });
  }

  async complete(id: string, token: string, result: unknown, who?: TaskCaller): Promise<Task> {
    return this.redisOp(async () => {
      const job = await this.mustFind(id, token, who, 'complete');
      await this.finish(id, 'complete', () => job.moveToCompleted(result ?? null, token, false));
      this.leased.delete(token);
      this.metrics.finished('complete', 'completed');
      return toTask(job, 'completed');
    });
  }

  /**
   * Completes many leased tasks in one request: the lookups go in one round trip and the
   * `moveToCompleted`s in another (pipelined). Each item stands alone: a wrong or expired token, or
   * an id that is no external task of this key, fails only that item and changes nothing for it.
   * A Redis outage midway is a 503 for the request; items completed before it answer
   * TASK_LEASE_LOST on a replay (their lock is gone), which a worker treats as done.
   */
  async completeMany(
    items: Array<{ id: string; leaseToken: string; result?: unknown }>,
    who?: TaskCaller,
  ): Promise<CompleteOutcome[]> {
    const dup = items.flatMap((it, i) => {
      const first = items.findIndex((o) => o.id === it.id);
      return first < i
        ? [{ field: `items.${i}.id`, messages: [`id ${it.id} is already items.${first}.id`] }]
        : [];
    });
    if (dup.length) throw validationFailed(dup);
    return this.redisOp(async () => {
      const jobs = await Promise.all(
        items.map((it) => this.recall(it.id, it.leaseToken) ?? this.external.find(it.id)),
      );
      return Promise.all(
        items.map(async ({ id, leaseToken, result }, i): Promise<CompleteOutcome> => {
          const job = jobs[i];
          if (!job || !typeAllowed(who, job.name)) {
            this.metrics.finished('complete', 'not_found');
            return { id, error: { code: 'NOT_FOUND', message: `No external task ${id}` } };
          }
          try {
            await job.moveToCompleted(result ?? null, leaseToken, false);
            this.leased.delete(leaseToken);
          } catch (e) {
            if (!isBullLockLost(e)) throw e;
            this.metrics.finished('complete', 'lease_lost');
            return { id, error: { code: 'TASK_LEASE_LOST', message: lostMessage(id) } };
          }
          this.metrics.finished('complete', 'completed');
          return { id, status: 'completed' };
        }),
      );
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
      const job = await this.mustFind(id, token, who, 'fail');
      const err = retryable ? new Error(error) : new UnrecoverableError(error);
      await this.finish(id, 'fail', () => job.moveToFailed(err, token, false));
      this.leased.delete(token);
      const requeued = statusOf(await job.getState()) !== 'failed';
      this.metrics.finished('fail', requeued ? 'requeued' : 'failed');
      if (requeued) this.external.notify(); // back in the queue
      const fresh = (await this.external.queueOf(job)?.getJob(id)) ?? job;
      return toTask(fresh, statusOf(await fresh.getState()) ?? 'failed');
    });
  }

  /**
   * Two or three Redis round trips per lease, whatever `max` is: the `moveToActive`s sent together
   * (auto-pipelined on the worker's connection; Redis runs them in the order sent, so priority and
   * FIFO hold), then one `extendLocks` for all of them (the lease length instead of
   * TASKS_LOCK_DURATION_MS). While a type is idle one `moveToActive` probes first, so a waiting
   * poll costs one command; while its last fetch found tasks and did not run dry ("hot"), all
   * `max` go at once.
   */
  private async take(types: string[], max: number, leaseSeconds: number): Promise<Leased[]> {
    const items: Leased[] = [];
    for (const type of types) {
      const worker = this.external.worker(type);
      const got: Array<{ job: Job; token: string }> = [];
      let dry = false;
      let want = this.hot.has(type) ? max - items.length : 1;
      for (; want > 0 && !dry; want = max - items.length - got.length) {
        const tokens = Array.from({ length: want }, () => `${randomUUID()}.${leaseSeconds}`);
        const jobs = await this.redisOp(() =>
          Promise.all(tokens.map((t) => worker.getNextJob(t, { block: false }))),
        );
        jobs.forEach((job, i) => job && got.push({ job, token: tokens[i] }));
        dry = jobs.some((j) => !j);
      }
      if (dry) this.hot.delete(type);
      else this.hot.add(type);
      if (!got.length) continue;
      const leaseMs = leaseSeconds * 1000;
      const failed = new Set<string>(
        await this.redisOp(() =>
          worker.extendJobLocks(
            got.map((g) => g.job.id as string),
            got.map((g) => g.token),
            leaseMs,
          ),
        ),
      );
      const leaseExpiresAt = new Date(Date.now() + leaseMs).toISOString();
      for (const { job, token } of got) {
        // Not extended: the lock was already gone (cannot happen right after moveToActive); the
        // stalled checker puts the task back, so it is not handed out under a lease it lacks.
        if (failed.has(job.id as string)) continue;
        items.push({ task: toTask(job, 'active'), leaseToken: token, leaseExpiresAt });
        this.remember(token, job, Date.now() + leaseMs);
      }
      if (items.length >= max) break;
    }
    for (const it of items) this.metrics.leases.inc({ type: it.task.type });
    return items;
  }

  private async finish(
    id: string,
    op: 'complete' | 'fail',
    move: () => Promise<unknown>,
  ): Promise<void> {
    try {
      await move();
    } catch (e) {
      if (isBullLockLost(e)) {
        this.metrics.finished(op, 'lease_lost');
        throw lost(id);
      }
      throw e;
    }
  }

  /** A type outside the key's `taskTypes` is not found either (as another key's task on GET). */
  private async mustFind(
    id: string,
    token: string,
    who?: TaskCaller,
    op?: 'complete' | 'fail',
  ): Promise<Job> {
    const job = this.recall(id, token) ?? (await this.external.find(id));
    if (!job || !typeAllowed(who, job.name)) {
      if (op) this.metrics.finished(op, 'not_found');
      throw new NotFoundException(`No external task ${id}`);
    }
    return job;
  }

  /** At most this many leased jobs are kept (the oldest go first); a dropped one is looked up. */
  private static readonly MAX_REMEMBERED = 20_000;

  private remember(token: string, job: Job, until: number): void {
    this.leased.delete(token); // re-inserted last: the map stays in insertion (≈ expiry) order
    this.leased.set(token, { job, until });
    const now = Date.now();
    for (const [t, e] of this.leased) {
      if (e.until > now && this.leased.size <= TaskLeases.MAX_REMEMBERED) break;
      this.leased.delete(t);
    }
  }

  /** The job leased here under `token`, if it is task `id` and the lease has not run out. */
  private recall(id: string, token: string): Job | undefined {
    const e = this.leased.get(token);
    return e && e.job.id === id && e.until > Date.now() ? e.job : undefined;
  }

  /** Like TasksService: on a ready connection, bounded from the call (routeRedisOp); outages become 503. */
  private redisOp<T>(fn: () => Promise<T>): Promise<T> {
    return routeRedisOp(this.producer, this.redisCfg.commandTimeoutMs, fn);
  }
}
