import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { createIORedisClient, Job, type IRedisClient, type JobsOptions, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { DependencyUnavailableException, type FieldError } from '../common/errors/error-body';
import { validationFailed } from '../common/errors/validation';
import { redisConfig, tasksConfig, type RedisConfig, type TasksConfig } from '../config';
import {
  BULLMQ_PRODUCER,
  connectTimeoutMs,
  isBullJobLocked,
  isBullJobNotInState,
  ReplicaWait,
} from '../infra/redis';
import { inSpan, propagationMetadata } from '../observability/tracing/spans';
import { ExternalQueues } from './external/external-queues';
import { TaskIdClaims } from './task-id-claims';
import { TaskPages, type Page, type PageQuery } from './task-pages';
import { TaskQueues } from './task-queues';
import { checkType, typeAllowed } from './task-access';
import { TaskRegistry } from './task-registry';
import { ROUTE_DEADLINE_COMMANDS, routeRedisOp, type RouteCall } from './redis-op';
import { takeBack } from './take-back';
import { ownerOf, toTask, visibleTo } from './task.mapper';
import { DEFAULT_PRIORITY, statusOf, type Task, type TaskCaller } from './task.types';
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

/** A task ready to queue: its id (the client's, or a fresh UUID) and what is stored. */
interface Prepared {
  id: string;
  clientId: boolean;
  fp: Fingerprint;
  owner?: string;
}

export interface Submitted {
  task: Task;
  created: boolean;
}

const unavailable = () => new DependencyUnavailableException('Redis');

/** A client id another key's task holds: the same answer whatever that task is. */
const taken = (id: string) =>
  new ConflictException({ message: `Task id ${id} is already used`, code: 'TASK_CONFLICT' });

const conflict = (ids: string[], outcome: string) =>
  new ConflictException({
    message: `Tasks already exist with a different body: ${ids.join(', ')}; ${outcome}`,
    code: 'TASK_CONFLICT',
    ids,
  });

/** The fields a 400 names, moved under `prefix` (a batch item). */
function fieldsUnder(e: BadRequestException, prefix: string): FieldError[] {
  const res = e.getResponse() as { message?: unknown; errors?: FieldError[] };
  if (!res.errors) return [{ field: prefix, messages: [String(res.message ?? e.message)] }];
  return res.errors.map((f) => ({ field: `${prefix}.${f.field}`, messages: f.messages }));
}

/**
 * Tasks on BullMQ: the job is the record. Every Redis call fails fast with 503 when Redis is
 * down (the producer connection has no offline queue; a not-ready connection is not even tried).
 */
@Injectable()
export class TasksService {
  /** With more than one queue (TASKS_QUEUE_SHARDS > 1 or external types): client ids claimed while stored. */
  private readonly claims?: TaskIdClaims;
  /** REDIS_WAIT_REPLICAS ≥ 1: a task is answered 202 only once replicas have it (see confirmStored). */
  private readonly replicaWait?: ReplicaWait;

  constructor(
    private readonly queues: TaskQueues,
    @Inject(BULLMQ_PRODUCER) private readonly producer: Redis,
    @Inject(tasksConfig.KEY) private readonly cfg: TasksConfig,
    @Inject(redisConfig.KEY) private readonly redisCfg: RedisConfig,
    private readonly registry: TaskRegistry,
    private readonly metrics: TasksMetrics,
    private readonly external: ExternalQueues,
  ) {
    if (queues.specs.length > 1 || cfg.externalTypes.length > 0)
      this.claims = new TaskIdClaims(
        producer,
        `${queues.specs[0].prefix}:${queues.specs[0].name}`,
        redisCfg.commandTimeoutMs,
      );
    if (redisCfg.waitReplicas > 0)
      this.replicaWait = new ReplicaWait(producer, redisCfg.waitReplicas, redisCfg.waitTimeoutMs);
    // Connection errors reach callers as 503s and /health/ready; without a listener BullMQ prints each one.
    queues.main.on('error', () => undefined);
    metrics.watch(() => this.redisOp(() => queues.counts()));
  }

  get types(): string[] {
    return this.registry.types;
  }

  /** Creates a task; with a client id, the same body again returns the existing task (created: false). */
  async submit(input: SubmitTask, who?: TaskCaller): Promise<Submitted> {
    const item = this.prepare(input, who);
    const until = this.routeDeadline();
    return this.redisOp((call) =>
      this.claimed(item.clientId ? [item.id] : [], () => this.store(item, call, who), until),
    );
  }

  private async store(item: Prepared, call: RouteCall, who?: TaskCaller): Promise<Submitted> {
    if (item.clientId) {
      const existing = await inSpan('tasks.idempotency_check', {}, async (span) => {
        const job = await this.findJob(item.id);
        span?.setAttribute('tasks.existing', job !== undefined);
        return job;
      });
      if (existing && !visibleTo(existing, who)) throw taken(item.id);
      if (existing)
        return { task: await this.view(this.sameOrConflict(existing, item.fp)), created: false };
    }
    await this.rememberExternal([item]);
    const target = this.queueFor(item.fp.type);
    const added = await this.undoneUnlessAnswered([item], call, async () => {
      const job = await target.add(
        item.fp.type,
        item.fp.payload,
        this.jobOptions(item.id, item.fp, item.owner),
      );
      await this.confirmStored([target]);
      return job;
    });
    this.external.notify();
    if (item.clientId) {
      // add() is a no-op on an existing id: read back what is stored, in case another request won a race.
      const stored = await this.findJob(item.id);
      if (!stored)
        throw new NotFoundException(`Task ${item.id} was removed right after it was created`);
      if (stored.queueName !== target.name) {
        // A request for another type (another queue) took this id at the same time: the copy
        // found first wins, ours goes (each queue checks ids only within itself).
        await target.remove(item.id).catch(() => undefined);
        if (ownerOf(stored) !== item.owner) throw taken(item.id);
        this.sameOrConflict(stored, item.fp);
      }
      if (ownerOf(stored) !== item.owner) throw taken(item.id);
      this.sameOrConflict(stored, item.fp);
      this.metrics.submitted.inc({ type: item.fp.type });
      return { task: await this.view(stored), created: true };
    }
    return this.created(item, added); // a fresh UUID cannot collide: the job as added is the record
  }

  /**
   * Creates up to MAX_BATCH tasks, all or nothing: every item is validated and every client id
   * looked up before anything is queued, then the new ones go in one MULTI (Queue.addBulk sends
   * a plain pipeline in BullMQ 6, which is not atomic). Answers in request order.
   */
  async submitBatch(inputs: SubmitTask[], who?: TaskCaller): Promise<Submitted[]> {
    const items = this.prepareBatch(inputs, who);
    const ids = items.filter((it) => it.clientId).map((it) => it.id);
    const until = this.routeDeadline();
    return this.redisOp((call) =>
      this.claimed(ids, () => this.storeBatch(items, call, who), until),
    );
  }

  private async storeBatch(
    items: Prepared[],
    call: RouteCall,
    who?: TaskCaller,
  ): Promise<Submitted[]> {
    const existing = await this.lookUp(items);
    const others = items.filter((it, i) => existing[i] && !visibleTo(existing[i], who));
    if (others.length)
      throw new ConflictException({
        message: `Task ids already used: ${others.map((it) => it.id).join(', ')}; nothing was queued`,
        code: 'TASK_CONFLICT',
        ids: others.map((it) => it.id),
      });
    const clash = items
      .filter((it, i) => existing[i] && !this.sameBody(existing[i], it.fp))
      .map((it) => it.id);
    if (clash.length) throw conflict(clash, 'nothing was queued');
    const fresh = items.filter((_, i) => !existing[i]);
    await this.rememberExternal(fresh);
    const added = fresh.length
      ? await this.undoneUnlessAnswered(fresh, call, async () => {
          const jobs = await inSpan(
            `add ${this.queues.main.name} (batch)`,
            { 'messaging.system': 'bullmq', 'messaging.batch.message_count': fresh.length },
            () => this.addAtomically(fresh),
            { kind: 3 /* PRODUCER */ },
          );
          await this.confirmStored([...new Set(fresh.map((it) => this.queueFor(it.fp.type)))]);
          return jobs;
        })
      : [];
    if (fresh.length) this.external.notify();
    // As in submit(): a racing request may have taken a client id between the look-up and the MULTI.
    const stored = await this.lookUp(fresh);
    const lost = new Set(
      fresh.filter(
        (it, i) =>
          stored[i] &&
          (!this.sameBody(stored[i], it.fp) ||
            ownerOf(stored[i]) !== it.owner ||
            stored[i].queueName !== this.queueFor(it.fp.type).name),
      ),
    );
    // An id another type's request took in another queue meanwhile: ours goes (as in submit()).
    await Promise.all(
      fresh
        .filter((it, i) => stored[i] && stored[i].queueName !== this.queueFor(it.fp.type).name)
        .map((it) =>
          this.queueFor(it.fp.type)
            .remove(it.id)
            .catch(() => undefined),
        ),
    );
    const kept = lost.size ? fresh.filter((it) => !lost.has(it)) : fresh;
    this.countSubmitted(kept);
    if (lost.size)
      throw conflict(
        [...lost].map((it) => it.id),
        'the other tasks of this batch were queued',
      );
    const jobs = new Map(fresh.map((it, i) => [it, added[i]]));
    const views = existing.some(Boolean)
      ? await Promise.all(existing.map((job) => job && this.view(job)))
      : [];
    return items.map((it, i): Submitted => {
      const view = views[i];
      if (view) return { task: view, created: false };
      const job = jobs.get(it) as Job;
      return { task: toTask(job, it.fp.delayMs ? 'delayed' : 'queued'), created: true };
    });
  }

  /**
   * The stored job of each item with a client id, in one round trip (the producer connection
   * pipelines the reads); a batch without client ids reads nothing.
   */
  private async lookUp(items: Prepared[]): Promise<Array<Job | undefined>> {
    if (!items.some((it) => it.clientId)) return items.map(() => undefined);
    return Promise.all(items.map((it) => (it.clientId ? this.findJob(it.id) : undefined)));
  }

  /** tasks_submitted_total for the tasks a batch created: one increment per type, not per task. */
  private countSubmitted(items: Prepared[]): void {
    const byType = new Map<string, number>();
    for (const it of items) byType.set(it.fp.type, (byType.get(it.fp.type) ?? 0) + 1);
    for (const [type, n] of byType) this.metrics.submitted.inc({ type }, n);
  }

  /** Runs a submission holding claims on its client ids, where ids could race across queues. */
  private claimed<T>(ids: string[], fn: () => Promise<T>, until: number): Promise<T> {
    return this.claims ? this.claims.hold(ids, fn, until) : fn();
  }

  /** When a route called now answers 503 at the latest (routeRedisOp's deadline). */
  private routeDeadline(): number {
    return performance.now() + this.redisCfg.commandTimeoutMs * ROUTE_DEADLINE_COMMANDS;
  }

  async get(id: string, who?: TaskCaller): Promise<Task> {
    return this.redisOp(async () => this.view(await this.mustFind(id, who)));
  }

  /** A page of tasks; a caller without `admin` sees only its own. */
  list(q: PageQuery, who?: TaskCaller): Promise<Page> {
    if (q.type !== undefined) this.registry.get(q.type); // an unknown type filter is a 400 listing the known ones
    if (q.type !== undefined) checkType(who, q.type, 'type');
    const owner = who && !who.admin ? who.id : undefined;
    const allow = who?.taskTypes ? (type: string) => typeAllowed(who, type) : undefined;
    return this.redisOp(async () => {
      const pages = new TaskPages({ all: await this.listedQueues(q.type) }, this.producer);
      return pages.page({ ...q, ...(owner ? { owner } : {}), allow });
    });
  }

  /**
   * The queues a listing reads: the built-in ones and every external type's (merged in the same
   * order, so the cursor works across them); with a `type` filter, only the queues that can hold it.
   */
  private async listedQueues(type?: string): Promise<Queue[]> {
    if (type !== undefined)
      return this.registry.isExternal(type) ? [this.external.queue(type)] : this.queues.all;
    const external = await this.external.known();
    return [...this.queues.all, ...external.map((t) => this.external.queue(t))];
  }

  /** The task's job and the queue that holds it, found as GET /v1/tasks/:id finds it (live events). */
  async locate(id: string, who?: TaskCaller): Promise<{ job: Job; queue: Queue }> {
    return this.redisOp(async () => {
      const job = await this.mustFind(id, who);
      return { job, queue: this.queueOf(job) };
    });
  }

  /** Removes a queued, delayed or finished task; an active one is 409. */
  async remove(id: string, who?: TaskCaller): Promise<Task> {
    return this.redisOp(async () => {
      const job = await this.mustFind(id, who);
      const task = await this.view(job);
      if (task.status === 'active')
        throw new ConflictException({
          message: `Task ${id} is active; it can be deleted once it finishes`,
          code: 'TASK_CONFLICT',
        });
      try {
        await this.queueOf(job).remove(id);
      } catch (e) {
        if (isBullJobLocked(e))
          throw new ConflictException({
            message: `Task ${id} became active; it can be deleted once it finishes`,
            code: 'TASK_CONFLICT',
          });
        throw e;
      }
      return task;
    });
  }

  /** Queues a failed task again with a fresh round of attempts; any other status is 409. */
  async retry(id: string, who?: TaskCaller): Promise<Task> {
    return this.redisOp(async () => {
      const job = await this.mustFind(id, who);
      const state = await job.getState();
      if (state !== 'failed')
        throw new ConflictException({
          message: `Task ${id} is ${statusOf(state) ?? state}; only a failed task can be retried`,
          code: 'TASK_CONFLICT',
        });
      try {
        await job.retry('failed', { resetAttemptsMade: true });
      } catch (e) {
        if (isBullJobNotInState(e))
          throw new ConflictException({
            message: `Task ${id} is no longer failed`,
            code: 'TASK_CONFLICT',
          });
        throw e;
      }
      return this.view(await this.mustFind(id));
    });
  }

  /** Validates an item (type, then the handler's payload rules) into what is stored and compared. */
  private prepare(input: SubmitTask, who?: TaskCaller, typeField = 'type'): Prepared {
    const handler = this.registry.get(input.type);
    checkType(who, input.type, typeField);
    return {
      id: input.id ?? randomUUID(),
      clientId: Boolean(input.id),
      owner: who?.id,
      fp: {
        type: input.type,
        payload: asStored(handler.parse(input.payload)),
        priority: input.priority ?? DEFAULT_PRIORITY,
        delayMs: input.delayMs ?? 0,
        maxAttempts: input.maxAttempts ?? this.cfg.maxAttempts,
      },
    };
  }

  /** Every item prepared, or one 400 naming each bad field as `tasks.<index>.<field>`. */
  private prepareBatch(inputs: SubmitTask[], who?: TaskCaller): Prepared[] {
    const fields: FieldError[] = [];
    const firstUse = new Map<string, number>();
    const items = inputs.map((input, i) => {
      if (input.id) {
        const first = firstUse.get(input.id);
        if (first === undefined) firstUse.set(input.id, i);
        else
          fields.push({
            field: `tasks.${i}.id`,
            messages: [`id ${input.id} is already used by tasks.${first}`],
          });
      }
      try {
        return this.prepare(input, who, `tasks.${i}.type`);
      } catch (e) {
        if (!(e instanceof BadRequestException)) throw e;
        fields.push(...fieldsUnder(e, `tasks.${i}`));
        return undefined;
      }
    });
    if (fields.length) throw validationFailed(fields);
    return items as Prepared[];
  }

  /**
   * One MULTI: either every job is stored or none is. Built from Jobs directly: FlowProducer.addBulk
   * does the same in one MULTI but builds a queue backend and key map per job, a fifth of the
   * process's CPU under batched load.
   *
   * Several queues in cluster mode (TASKS_QUEUE_SHARDS > 1): a MULTI cannot span hash slots, so
   * one MULTI per queue, sent together. Every job is built and checked before any is sent; if a
   * MULTI then fails (a node lost, a slot moving) the answer is 503 at once, as for a lost reply
   * (the caller, undoneUnlessAnswered, then takes back what may have been stored).
   */
  private async addAtomically(items: Prepared[]): Promise<Job[]> {
    const client: IRedisClient = createIORedisClient(this.producer); // the proxy the Queue itself uses
    const jobs = items.map(
      ({ id, fp, owner }) =>
        new Job(this.queueFor(fp.type), fp.type, fp.payload, this.jobOptions(id, fp, owner), id),
    );
    // Standalone: one node holds every queue, so one MULTI whatever the queues. Cluster: one per
    // hash tag (the prefix; external types' queues share queue 0's).
    const groups =
      this.redisCfg.mode === 'cluster'
        ? groupBy(jobs, (_, i) => this.queueFor(items[i].fp.type).opts.prefix ?? '')
        : [jobs];
    const multis = groups.map((group) => ({ group, multi: client.multi() }));
    // addJob queues its script on the MULTI (sent only by exec) and settles without waiting for
    // it; one that throws (invalid options) means no transaction is sent.
    const queued = await Promise.allSettled(
      multis.flatMap(({ group, multi }) => group.map((job) => job.addJob(multi))),
    );
    const bad = queued.find((q): q is PromiseRejectedResult => q.status === 'rejected');
    if (bad) throw bad.reason;
    const sent = await Promise.allSettled(
      multis.map(async ({ multi }) => {
        const replies = await multi.exec();
        if (!replies) throw unavailable(); // the connection closed under the transaction
        for (const [err] of replies) if (err) throw err;
      }),
    );
    const failed = sent.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return jobs;
  }

  /**
   * Writes tasks with `write` (which stores them, then confirms); if the route does not answer
   * with them (`write` throws, or the route's deadline answers 503 first), the tasks without a
   * client id are taken back: their ids are fresh UUIDs the client never saw, so nothing could
   * ever reconcile them, and a client retrying the 503 would queue them twice. Whatever `write`
   * stored, even partly (one MULTI of a batch per cluster node) or late (a reply lost, a write
   * still in flight), is removed: a 503 without client ids queues nothing, but for a task a
   * worker took in between, which runs. Tasks with client ids stay: the client's replay finds
   * them (200, created: false) and completes the rest exactly once; removing them could race that
   * replay and lose a task it was told is stored.
   */
  private async undoneUnlessAnswered<T>(
    items: Prepared[],
    call: RouteCall,
    write: () => Promise<T>,
  ): Promise<T> {
    if (call.expired) throw unavailable(); // answered 503 already: write nothing more
    const anonymous = items.filter((it) => !it.clientId);
    let undone = false;
    const undo = () => {
      if (undone || !anonymous.length) return;
      undone = true;
      const placed = anonymous.map((it) => ({ queue: this.queueFor(it.fp.type), id: it.id }));
      const cmd = this.redisCfg.commandTimeoutMs;
      void takeBack(placed, () => this.producer.status === 'ready', {
        giveUpMs: 30_000, // a managed Redis (ElastiCache) fails over in 10-30 s
        lateMs: connectTimeoutMs(cmd) + cmd,
        retryMs: 200,
      });
    };
    call.onExpired(undo);
    try {
      return await write();
    } catch (e) {
      undo();
      throw e;
    }
  }

  private created(item: Prepared, job: Job): Submitted {
    this.metrics.submitted.inc({ type: item.fp.type });
    return { task: toTask(job, item.fp.delayMs ? 'delayed' : 'queued'), created: true };
  }

  private jobOptions(id: string, fp: Fingerprint, owner?: string): JobsOptions {
    // Tracing on, a batch's jobs carry the batch span's context the way Queue.add stores it
    // (Queue.add sets its own for single submits); each worker attempt is then its child.
    const metadata = propagationMetadata();
    return {
      ...(owner ? { owner } : {}), // kept by BullMQ as an unknown option (see OwnedJobOptions)
      ...(metadata ? { telemetry: { metadata } } : {}),
      jobId: id,
      priority: fp.priority, // always set, so every task is ordered by priority (0 would jump the line)
      delay: fp.delayMs || undefined,
      attempts: fp.maxAttempts,
      backoff: { type: 'exponential', delay: this.cfg.backoffMs },
      removeOnComplete: this.cfg.retention,
      removeOnFail: this.cfg.retention,
    };
  }

  private sameBody(job: Job, fp: Fingerprint): boolean {
    const stored: Fingerprint = {
      type: job.name,
      payload: job.data ?? null,
      priority: job.opts.priority || DEFAULT_PRIORITY,
      delayMs: job.opts.delay ?? 0,
      maxAttempts: job.opts.attempts ?? 1,
    };
    return isDeepStrictEqual(stored, { ...fp, payload: fp.payload ?? null });
  }

  private sameOrConflict(job: Job, fp: Fingerprint): Job {
    if (!this.sameBody(job, fp))
      throw new ConflictException({
        message: `Task ${job.id} already exists with a different body`,
        code: 'TASK_CONFLICT',
      });
    return job;
  }

  /** The queue of a type: its built-in queue (TaskQueues), or the type's own queue for an external type. */
  private queueFor(type: string): Queue {
    return this.registry.isExternal(type) ? this.external.queue(type) : this.queues.forType(type);
  }

  private queueOf(job: Job): Queue {
    return this.queues.byName(job.queueName) ?? this.external.queueOf(job) ?? this.queues.main;
  }

  /** Records the external types of these items before they are queued, so lookups by id find them. */
  private async rememberExternal(items: Prepared[]): Promise<void> {
    const types = new Set(items.map((it) => it.fp.type).filter((t) => this.registry.isExternal(t)));
    await Promise.all([...types].map((t) => this.external.remember(t)));
  }

  /** A task by id: in the built-in queues (the first holding it), else in an external type's queue. */
  private async findJob(id: string): Promise<Job | undefined> {
    return (await this.queues.find(id)) ?? (await this.external.find(id));
  }

  /** Another key's task is "not found" too: its existence is not revealed. */
  private async mustFind(id: string, who?: TaskCaller): Promise<Job> {
    const job = await this.findJob(id);
    if (!job || !visibleTo(job, who)) throw new NotFoundException(`Task ${id} not found`);
    return job;
  }

  private async view(job: Job): Promise<Task> {
    const status = statusOf(await job.getState());
    if (!status) throw new NotFoundException(`Task ${job.id} not found`);
    // The job was read before its state: if it finished in between, read it again for its result.
    if ((status === 'completed' || status === 'failed') && !job.finishedOn) {
      const fresh = await this.queueOf(job).getJob(job.id as string);
      if (fresh) return toTask(fresh, status);
    }
    return toTask(job, status);
  }

  /**
   * With REDIS_WAIT_REPLICAS ≥ 1, WAIT on the node of each queue written: a task a failover could
   * lose is answered 503 instead of 202 (it may still run; a retry with the same client id is not added twice).
   */
  private async confirmStored(queues: Queue[]): Promise<void> {
    const wait = this.replicaWait;
    if (!wait) return;
    const ok = await Promise.all(queues.map((q) => wait.confirm(q.keys.id)));
    if (!ok.every(Boolean)) throw unavailable();
  }

  /** Redis work bounded from the call (routeRedisOp), once every queue is open; outages become 503. */
  private redisOp<T>(fn: (call: RouteCall) => Promise<T>): Promise<T> {
    return routeRedisOp(this.producer, this.redisCfg.commandTimeoutMs, fn, (ms) =>
      this.queues.whenOpen(ms),
    );
  }
}

/** Items grouped by key, groups in order of first appearance. */
function groupBy<T>(items: T[], key: (item: T, index: number) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const [i, it] of items.entries()) {
    const k = key(it, i);
    const g = groups.get(k);
    if (g) g.push(it);
    else groups.set(k, [it]);
  }
  return [...groups.values()];
}
