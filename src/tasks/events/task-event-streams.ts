import type { ServerResponse } from 'node:http';
import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { DependencyUnavailableException } from '../../common/errors/error-body';
import { appError } from '../../common/errors/error-codes';
import {
  redisConfig,
  taskEventsConfig,
  type RedisConfig,
  type TaskEventsConfig,
} from '../../config';
import type { Redis } from 'ioredis';
import { BULLMQ_PRODUCER, isRedisUnavailable } from '../../infra/redis';
import { routeRedisOp } from '../redis-op';
import type { Task, TaskCaller } from '../task.types';
import { TasksService } from '../tasks.service';
import { streamIdAfter, TaskEventsHub, type TaskEvent } from './task-events.hub';

/** An SSE frame: `state` is the task as GET /v1/tasks/:id shows it; the others are changes. */
interface Frame {
  id: string;
  event: string;
  data: unknown;
  terminal: boolean;
}

const frame = (f: Frame): string =>
  `id: ${f.id}\nevent: ${f.event}\ndata: ${JSON.stringify(f.data)}\n\n`;

const stateFrame = (task: Task, id: string): Frame => ({
  id,
  event: 'state',
  data: task,
  terminal: task.status === 'completed' || task.status === 'failed',
});

/**
 * A stream checked and ready to start: the task exists and the caller may see it, its first
 * frames are known, and live events after them are buffered until `pipe` takes over.
 */
export class TaskEventStream {
  private sink?: (e: TaskEvent) => void;
  private readonly pending: TaskEvent[] = [];

  constructor(
    private readonly initial: Frame[],
    /** The last stream id the initial frames cover: live events up to it are not sent again. */
    private cursor: string,
    private readonly keepAliveMs: number,
    private readonly release: () => void,
  ) {}

  /** Where the hub delivers this task's live events. */
  readonly listener = (e: TaskEvent): void => {
    if (this.sink) this.sink(e);
    else this.pending.push(e);
  };

  unsubscribe: () => void = () => undefined;

  /** Writes the frames to the raw response until the task is done or the client leaves. */
  pipe(
    res: ServerResponse,
    headers: Record<string, string>,
    track: (end: () => void) => () => void,
  ): void {
    let closed = false;
    let untrack: () => void = () => undefined;
    const close = () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      this.sink = undefined;
      this.unsubscribe();
      this.release();
      untrack();
      if (!res.writableEnded) res.end();
    };
    const send = (f: Frame): void => {
      if (closed) return;
      res.write(frame(f));
      if (f.terminal) close();
    };
    res.on('close', close);
    res.writeHead(200, headers);
    const timer = setInterval(() => res.write(': keep-alive\n\n'), this.keepAliveMs);
    timer.unref();
    untrack = track(close);
    for (const f of this.initial) send(f);
    const live = (e: TaskEvent) => {
      if (!streamIdAfter(e.id, this.cursor)) return; // already covered by the initial frames
      this.cursor = e.id;
      send(e);
    };
    for (const e of this.pending.splice(0)) live(e);
    if (!closed) this.sink = live;
  }
}

/**
 * `GET /v1/tasks/:id/events`: opens streams within the per-key cap (counted in this process).
 * Fresh: `state` (the task now) first, with the id of the events stream's newest entry, then
 * every change after it. Resumed (`Last-Event-ID`): every event of the task after that id, read
 * back from the queue's events stream, then the live ones; a task that finished meanwhile ends
 * with its `state`. Subscribing happens before the past is read, so nothing falls in between.
 */
@Injectable()
export class TaskEventStreams {
  private readonly perKey = new Map<string, number>();

  constructor(
    @Inject(taskEventsConfig.KEY) private readonly cfg: TaskEventsConfig,
    private readonly hub: TaskEventsHub,
    private readonly tasks: TasksService,
    @Inject(BULLMQ_PRODUCER) private readonly producer: Redis,
    @Inject(redisConfig.KEY) private readonly redisCfg: RedisConfig,
  ) {}

  /** Open streams of a key in this process. */
  openFor(keyId: string): number {
    return this.perKey.get(keyId) ?? 0;
  }

  get track(): (end: () => void) => () => void {
    return (end) => this.hub.track(end);
  }

  async open(
    id: string,
    who: TaskCaller | undefined,
    lastEventId?: string,
  ): Promise<TaskEventStream> {
    const key = who?.id ?? '';
    const n = this.openFor(key);
    if (n >= this.cfg.maxStreamsPerKey)
      throw appError(
        HttpStatus.TOO_MANY_REQUESTS,
        'TASK_STREAMS_LIMIT',
        `This key already has ${n} task event streams open (TASKS_EVENTS_MAX_STREAMS_PER_KEY); close one first`,
        { limit: this.cfg.maxStreamsPerKey },
      );
    this.perKey.set(key, n + 1);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const left = this.openFor(key) - 1;
      if (left > 0) this.perKey.set(key, left);
      else this.perKey.delete(key);
    };
    // Every Redis step (locate, subscribe, the past, the task) under one route deadline from the
    // call (routeRedisOp); a stream that opens after the 503 was answered is dropped at once.
    let opening: Promise<TaskEventStream> | undefined;
    try {
      return await routeRedisOp(
        this.producer,
        this.redisCfg.commandTimeoutMs,
        () => (opening = this.build(id, who, lastEventId, release)),
      );
    } catch (e) {
      release();
      void opening?.then(
        (late) => late.unsubscribe(),
        () => undefined,
      );
      if (!(e instanceof HttpException) && isRedisUnavailable(e))
        throw new DependencyUnavailableException('Redis');
      throw e;
    }
  }

  /** The stream's first frames and its subscription; `release` frees its slot when it ends. */
  private async build(
    id: string,
    who: TaskCaller | undefined,
    lastEventId: string | undefined,
    release: () => void,
  ): Promise<TaskEventStream> {
    const { queue } = await this.tasks.locate(id, who);
    const initial: Frame[] = [];
    let cursor: string;
    let subscribed: { stream?: TaskEventStream } = {};
    // Subscribed first (events buffered), then the past read: no event can fall in between.
    const buffer: TaskEvent[] = [];
    const unsubscribe = await this.hub.subscribe(queue, id, (e) =>
      subscribed.stream ? subscribed.stream.listener(e) : buffer.push(e),
    );
    try {
      if (lastEventId) {
        const past = await this.hub.since(queue, id, lastEventId);
        initial.push(...past.events);
        cursor = past.cursor;
        if (!past.events.some((e) => e.terminal)) {
          const task = await this.tasks.get(id, who);
          const state = stateFrame(task, cursor);
          if (state.terminal) initial.push(state); // finished, its final event trimmed away
        }
      } else {
        cursor = await this.hub.lastId(queue);
        initial.push(stateFrame(await this.tasks.get(id, who), cursor));
      }
    } catch (e) {
      unsubscribe();
      throw e;
    }
    const stream = new TaskEventStream(initial, cursor, this.cfg.keepAliveMs, release);
    stream.unsubscribe = unsubscribe;
    subscribed = { stream };
    for (const e of buffer) stream.listener(e);
    return stream;
  }
}
