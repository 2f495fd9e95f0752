import {
  Inject,
  Injectable,
  Logger,
  type BeforeApplicationShutdown,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { QueueEvents, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { redisConfig, type RedisConfig } from '../../config';
import { BULLMQ_PRODUCER, bullWorkerConnection } from '../../infra/redis';

/** What a stream shows: task statuses plus `progress`, `stalled`, `removed`. */
export type TaskEventName =
  'queued' | 'delayed' | 'active' | 'progress' | 'stalled' | 'completed' | 'failed' | 'removed';

/** One entry of the queue's BullMQ events stream that concerns one task. */
export interface TaskEvent {
  /** The Redis stream id (`<ms>-<seq>`): the SSE `id`, what `Last-Event-ID` resumes from. */
  id: string;
  event: TaskEventName;
  data: Record<string, unknown>;
  /** The task is done: the stream closes after this event. */
  terminal: boolean;
}

/** BullMQ's event names → ours (the rest, e.g. `added`, `retries-exhausted`, are not shown). */
const NAMES: Record<string, TaskEventName> = {
  waiting: 'queued',
  delayed: 'delayed',
  active: 'active',
  progress: 'progress',
  stalled: 'stalled',
  completed: 'completed',
  failed: 'failed',
  removed: 'removed',
};
const TERMINAL = new Set<TaskEventName>(['completed', 'failed', 'removed']);

const json = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
};

/**
 * A BullMQ event as a task event, or undefined when it is not one a stream shows. `raw`: the
 * fields as XRANGE returns them (QueueEvents has already parsed progress and return values).
 */
export function toTaskEvent(
  bullEvent: string,
  args: Record<string, unknown>,
  id: string,
  raw = false,
): TaskEvent | undefined {
  const event = NAMES[bullEvent];
  if (!event || typeof args.jobId !== 'string') return undefined;
  const data: Record<string, unknown> = { id: args.jobId };
  const value = (v: unknown) => (raw ? json(v) : v);
  switch (event) {
    case 'progress':
      data.progress = value(args.data);
      break;
    case 'completed':
      data.status = 'completed';
      data.result = value(args.returnvalue) ?? null;
      break;
    case 'failed':
      data.status = 'failed';
      data.error = args.failedReason ?? null;
      break;
    case 'delayed':
      data.status = 'delayed';
      if (Number(args.delay) > 0) data.dueAt = new Date(Number(args.delay)).toISOString();
      break;
    case 'queued':
    case 'active':
      data.status = event;
      break;
  }
  return { id, event, data, terminal: TERMINAL.has(event) };
}

/** `a` comes after `b` in a Redis stream (`<ms>-<seq>` ids, compared as numbers). */
export function streamIdAfter(a: string, b: string): boolean {
  const [am, as] = a.split('-').map(BigInt);
  const [bm, bs] = b.split('-').map(BigInt);
  return am !== bm ? am > bm : (as ?? 0n) > (bs ?? 0n);
}

export const STREAM_ID = /^\d{1,20}-\d{1,20}$/;

type Listener = (e: TaskEvent) => void;

/** One queue's subscription: a single QueueEvents whose events are fanned out by task id. */
interface Channel {
  events?: QueueEvents;
  /** The connection handed to QueueEvents when it is a Cluster (BullMQ then does not close it). */
  cluster?: { disconnect(): void };
  ready: Promise<void>;
  byTask: Map<string, Set<Listener>>;
}

/**
 * Live task events for every stream of this process: ONE BullMQ `QueueEvents` (one blocking
 * XREAD connection) per queue, created on the first stream that needs it and shared by all of
 * them: each event goes to the listeners of its task, in the stream's order. Past events (a
 * `Last-Event-ID` resume) are read from the same Redis stream with XRANGE on the producer
 * connection, a plain non-blocking command.
 */
@Injectable()
export class TaskEventsHub implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('TaskEvents');
  private readonly channels = new Map<string, Channel>();
  /** Open streams, ended before the HTTP server closes (it would otherwise wait for them). */
  private readonly open = new Set<() => void>();

  constructor(
    @Inject(redisConfig.KEY) private readonly redisCfg: RedisConfig,
    @Inject(BULLMQ_PRODUCER) private readonly producer: Redis,
  ) {}

  /** QueueEvents instances in this process (one per queue that has had a stream). */
  get subscriptions(): number {
    return [...this.channels.values()].filter((c) => c.events).length;
  }

  /** Listens to one task's events; the listener sees every event after the call returns. */
  async subscribe(queue: Queue, taskId: string, fn: Listener): Promise<() => void> {
    const ch = this.channel(queue);
    let set = ch.byTask.get(taskId);
    if (!set) ch.byTask.set(taskId, (set = new Set()));
    set.add(fn);
    const unsubscribe = () => {
      set.delete(fn);
      if (!set.size && ch.byTask.get(taskId) === set) ch.byTask.delete(taskId);
    };
    try {
      await ch.ready;
    } catch (e) {
      unsubscribe();
      throw e;
    }
    return unsubscribe;
  }

  /** The id of the newest entry of the queue's events stream (`0-0` when it is empty). */
  async lastId(queue: Queue): Promise<string> {
    const [last] = await this.producer.xrevrange(queue.keys.events, '+', '-', 'COUNT', 1);
    return last?.[0] ?? '0-0';
  }

  /**
   * This task's events after `after`, oldest first, and the id of the last entry read (of any
   * task): live events up to it are already covered.
   */
  async since(
    queue: Queue,
    taskId: string,
    after: string,
  ): Promise<{ events: TaskEvent[]; cursor: string }> {
    const events: TaskEvent[] = [];
    let cursor = after;
    for (;;) {
      const page = await this.producer.xrange(queue.keys.events, `(${cursor}`, '+', 'COUNT', 1000);
      for (const [id, fields] of page) {
        cursor = id;
        const args: Record<string, unknown> = {};
        for (let i = 0; i + 1 < fields.length; i += 2) args[fields[i]] = fields[i + 1];
        if (args.jobId !== taskId) continue;
        const e = toTaskEvent(String(args.event), args, id, true);
        if (e) events.push(e);
      }
      if (page.length < 1000) return { events, cursor };
    }
  }

  /** Registers a stream's closer for shutdown; returns the function that forgets it. */
  track(end: () => void): () => void {
    this.open.add(end);
    return () => this.open.delete(end);
  }

  private channel(queue: Queue): Channel {
    const existing = this.channels.get(queue.name);
    if (existing) return existing;
    const ch: Channel = { byTask: new Map(), ready: Promise.resolve() };
    ch.ready = this.start(queue, ch).catch((e) => {
      this.channels.delete(queue.name); // the next stream tries again
      throw e;
    });
    this.channels.set(queue.name, ch);
    return ch;
  }

  private async start(queue: Queue, ch: Channel): Promise<void> {
    // From the stream's newest entry at creation, not from `$` at the first XREAD: nothing
    // written between a stream's own read of the past and the first XREAD is skipped.
    const lastEventId = await this.lastId(queue);
    const connection = bullWorkerConnection(this.redisCfg);
    if ('disconnect' in connection) ch.cluster = connection as { disconnect(): void };
    const events = new QueueEvents(queue.name, {
      connection: connection as never,
      prefix: queue.opts.prefix,
      lastEventId,
    });
    events.on('error', (err) => this.logger.warn(`events of ${queue.name}: ${err.message}`));
    for (const name of Object.keys(NAMES))
      events.on(
        name as never,
        ((args: Record<string, unknown>, id: string) => {
          const listeners = ch.byTask.get(args?.jobId as string);
          if (!listeners) return;
          const e = toTaskEvent(name, args, id);
          if (e) for (const fn of [...listeners]) fn(e);
        }) as never,
      );
    ch.events = events;
  }

  beforeApplicationShutdown(): void {
    for (const end of [...this.open]) end();
  }

  async onApplicationShutdown(): Promise<void> {
    const channels = [...this.channels.values()];
    this.channels.clear();
    await Promise.allSettled(
      channels.map(async (ch) => {
        await ch.events?.close();
        ch.cluster?.disconnect();
      }),
    );
  }
}
