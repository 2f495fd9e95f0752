import { isDeepStrictEqual } from 'node:util';
import {
  BadRequestException,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { JobSchedulerJson, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { CronExpressionParser } from 'cron-parser';
import { appError } from '../../common/errors/error-codes';
import type { FieldError } from '../../common/errors/error-body';
import { validationFailed } from '../../common/errors/validation';
import { redisConfig, tasksConfig, type RedisConfig, type TasksConfig } from '../../config';
import { BULLMQ_PRODUCER } from '../../infra/redis';
import { ExternalQueues } from '../external/external-queues';
import { routeRedisOp } from '../redis-op';
import { TaskRegistry } from '../task-registry';
import { TaskQueues } from '../task-queues';
import { DEFAULT_PRIORITY } from '../task.types';
import type { CreateScheduleDto, ScheduleDto } from './schedule.dto';

const NEXT_RUNS = 5;
const iso = (ms: number | undefined): string | null => (ms ? new Date(ms).toISOString() : null);

/**
 * Recurring tasks on BullMQ job schedulers (`upsertJobScheduler`): the scheduler lives in Redis,
 * and BullMQ creates each tick's job atomically when the previous one is taken by a worker, so
 * exactly one task is created per tick however many replicas run. A schedule of an external type
 * lives on that type's queue.
 */
@Injectable()
export class SchedulesService {
  constructor(
    private readonly queues: TaskQueues,
    @Inject(tasksConfig.KEY) private readonly cfg: TasksConfig,
    private readonly registry: TaskRegistry,
    private readonly external: ExternalQueues,
    @Inject(BULLMQ_PRODUCER) private readonly producer: Redis,
    @Inject(redisConfig.KEY) private readonly redisCfg: RedisConfig,
  ) {}

  /** Creates a schedule; the same body again answers it unchanged (created: false); another body is 409. */
  async create(body: CreateScheduleDto): Promise<{ schedule: ScheduleDto; created: boolean }> {
    const spec = this.validate(body);
    return this.redisOp(() => this.store(body, spec));
  }

  private async store(
    body: CreateScheduleDto,
    spec: ScheduleDto,
  ): Promise<{ schedule: ScheduleDto; created: boolean }> {
    const existing = await this.find(body.name);
    if (existing) {
      const view = this.view(existing.json);
      if (!isDeepStrictEqual(this.comparable(view), this.comparable(spec)))
        throw appError(
          HttpStatus.CONFLICT,
          'SCHEDULE_CONFLICT',
          `Schedule ${body.name} already exists with a different body; delete it first`,
        );
      return { schedule: view, created: false };
    }
    const queue = this.queueFor(spec.task.type);
    if (this.registry.isExternal(spec.task.type)) await this.external.remember(spec.task.type);
    await queue.upsertJobScheduler(
      body.name,
      {
        ...(spec.cron ? { pattern: spec.cron, tz: spec.tz ?? undefined } : {}),
        ...(spec.everyMs ? { every: spec.everyMs } : {}),
        startDate: spec.startAt ?? undefined,
        endDate: spec.endAt ?? undefined,
      },
      {
        name: spec.task.type,
        data: spec.task.payload,
        opts: {
          priority: spec.task.priority,
          attempts: this.cfg.maxAttempts,
          backoff: { type: 'exponential', delay: this.cfg.backoffMs },
          removeOnComplete: this.cfg.retention,
          removeOnFail: this.cfg.retention,
        },
      },
    );
    const stored = await this.find(body.name);
    if (!stored)
      throw new NotFoundException(`Schedule ${body.name} was removed right after it was created`);
    return { schedule: this.view(stored.json), created: true };
  }

  list(): Promise<ScheduleDto[]> {
    return this.redisOp(async () => {
      const queues = [
        ...(await this.builtIn()),
        ...(await this.external.known()).map((t) => this.external.queue(t)),
      ];
      const all = await Promise.all(queues.map((q) => q.getJobSchedulers(0, -1, true)));
      return all
        .flat()
        .map((j) => this.view(j))
        .sort((a, b) => a.name.localeCompare(b.name));
    });
  }

  get(name: string): Promise<ScheduleDto> {
    return this.redisOp(async () => {
      const found = await this.find(name);
      if (!found) throw new NotFoundException(`Schedule ${name} not found`);
      return this.view(found.json);
    });
  }

  /** Stops the schedule; a task of it already queued stays (delete it by id if needed). */
  remove(name: string): Promise<ScheduleDto> {
    return this.redisOp(async () => {
      const found = await this.find(name);
      if (!found) throw new NotFoundException(`Schedule ${name} not found`);
      await found.queue.removeJobScheduler(name);
      return this.view(found.json);
    });
  }

  /** Every route's Redis work under one deadline from the call, as the task routes (routeRedisOp). */
  private redisOp<T>(fn: () => Promise<T>): Promise<T> {
    return routeRedisOp(this.producer, this.redisCfg.commandTimeoutMs, fn);
  }

  private async find(name: string): Promise<{ queue: Queue; json: JobSchedulerJson } | undefined> {
    const queues = [
      ...(await this.builtIn()),
      ...(await this.external.known()).map((t) => this.external.queue(t)),
    ];
    for (const queue of queues) {
      const json = await queue.getJobScheduler(name);
      if (json) return { queue, json };
    }
    return undefined;
  }

  /** The built-in queues, waiting briefly for one still starting (see TaskQueues.whenOpen). */
  private async builtIn(): Promise<Queue[]> {
    await this.queues.whenOpen(500);
    return this.queues.all;
  }

  private queueFor(type: string): Queue {
    return this.registry.isExternal(type) ? this.external.queue(type) : this.queues.forType(type);
  }

  /** What the body means, checked the way POST /v1/tasks checks a task; 400 names each field. */
  private validate(body: CreateScheduleDto): ScheduleDto {
    const fields: FieldError[] = [];
    if ((body.cron === undefined) === (body.everyMs === undefined))
      fields.push({ field: 'cron', messages: ['exactly one of cron and everyMs must be given'] });
    if (body.tz !== undefined && body.cron === undefined)
      fields.push({ field: 'tz', messages: ['tz applies to cron only'] });
    if (body.tz !== undefined) {
      try {
        new Intl.DateTimeFormat('en', { timeZone: body.tz });
      } catch {
        fields.push({ field: 'tz', messages: ['tz must be an IANA time zone'] });
      }
    }
    if (body.cron !== undefined && !fields.some((f) => f.field === 'tz')) {
      try {
        CronExpressionParser.parse(body.cron, { tz: body.tz, strict: false });
      } catch (e) {
        fields.push({
          field: 'cron',
          messages: [`cron is not a valid pattern: ${(e as Error).message}`],
        });
      }
    }
    if (body.startAt && body.endAt && Date.parse(body.endAt) <= Date.parse(body.startAt))
      fields.push({ field: 'endAt', messages: ['endAt must be after startAt'] });
    let payload: unknown = null;
    try {
      const handler = this.registry.get(body.task.type);
      payload = JSON.parse(JSON.stringify(handler.parse(body.task.payload) ?? null));
    } catch (e) {
      if (!(e instanceof BadRequestException)) throw e;
      const res = e.getResponse() as { errors?: FieldError[]; message?: string };
      fields.push(
        ...(res.errors ?? [{ field: 'type', messages: [String(res.message)] }]).map((f) => ({
          field: `task.${f.field}`,
          messages: f.messages,
        })),
      );
    }
    if (fields.length) throw validationFailed(fields);
    return {
      name: body.name,
      cron: body.cron ?? null,
      tz: body.tz ?? null,
      everyMs: body.everyMs ?? null,
      task: { type: body.task.type, payload, priority: body.task.priority ?? DEFAULT_PRIORITY },
      startAt: body.startAt ? new Date(body.startAt).toISOString() : null,
      endAt: body.endAt ? new Date(body.endAt).toISOString() : null,
      nextRuns: [],
    };
  }

  private comparable(s: ScheduleDto): Omit<ScheduleDto, 'nextRuns'> {
    const { nextRuns: _ignored, ...rest } = s;
    return rest;
  }

  private view(j: JobSchedulerJson): ScheduleDto {
    const opts = (j.template?.opts ?? {}) as { priority?: number };
    return {
      name: j.key,
      cron: j.pattern ?? null,
      tz: j.tz ?? null,
      everyMs: j.every ? Number(j.every) : null,
      task: {
        type: j.name,
        payload: j.template?.data ?? null,
        priority: opts.priority || DEFAULT_PRIORITY,
      },
      startAt: iso(j.startDate),
      endAt: iso(j.endDate),
      nextRuns: this.nextRuns(j),
    };
  }

  /** BullMQ stores the next tick; the ones after it follow from the interval or the cron pattern. */
  private nextRuns(j: JobSchedulerJson): string[] {
    if (!j.next) return [];
    const runs: number[] = [Number(j.next)];
    try {
      if (j.every) {
        while (runs.length < NEXT_RUNS) runs.push(runs[runs.length - 1] + Number(j.every));
      } else if (j.pattern) {
        const it = CronExpressionParser.parse(j.pattern, {
          tz: j.tz,
          currentDate: new Date(Number(j.next)),
        });
        while (runs.length < NEXT_RUNS) runs.push(it.next().getTime());
      }
    } catch {
      // past endDate: only the stored next run
    }
    return runs
      .filter((t) => !j.endDate || t <= Number(j.endDate))
      .map((t) => new Date(t).toISOString());
  }
}
