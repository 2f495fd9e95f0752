import { invalidField } from '../common/errors/validation';
import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ownerOf, toTask } from './task.mapper';
import type { Task, TaskStatus } from './task.types';

/**
 * Where tasks live in BullMQ, in listing order. Within one source the order is (score, id):
 * zsets by their score (priority then FIFO, due time, finish time), lists (small: active jobs,
 * the rare un-prioritised waiting job) by id. A cursor is the last (source, score, id) returned,
 * so a page never repeats or skips a task that stayed put; one that changed state meanwhile
 * may show up again under its new status, or not at all if its new status was already passed.
 */
const SOURCES: Array<{ status: TaskStatus; key: string; kind: 'list' | 'zset' }> = [
  { status: 'queued', key: 'wait', kind: 'list' },
  { status: 'queued', key: 'paused', kind: 'list' },
  { status: 'queued', key: 'prioritized', kind: 'zset' },
  { status: 'delayed', key: 'delayed', kind: 'zset' },
  { status: 'active', key: 'active', kind: 'list' },
  { status: 'completed', key: 'completed', kind: 'zset' },
  { status: 'failed', key: 'failed', kind: 'zset' },
];

/** Candidates looked at per request at most (matters with a `type` filter): a page may come back short. */
const MAX_SCAN = 2000;
const BATCH = 200;

type Position = [source: number, score: number, id: string];

export interface PageQuery {
  status?: TaskStatus;
  type?: string;
  /** Only tasks created by this key id (callers without `admin`). */
  owner?: string;
  /** Only tasks of the types this returns true for (a key with `taskTypes`). */
  allow?: (type: string) => boolean;
  limit: number;
  cursor?: string;
}

export interface Page {
  items: Task[];
  nextCursor: string | null;
}

const badCursor = () =>
  invalidField('cursor', 'cursor is not one this API returned for these filters');

export const encodeCursor = (p: Position): string =>
  Buffer.from(JSON.stringify(p)).toString('base64url');

export function decodeCursor(cursor: string, status?: TaskStatus): Position {
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badCursor();
  }
  const ok =
    Array.isArray(p) &&
    p.length === 3 &&
    Number.isInteger(p[0]) &&
    p[0] >= 0 &&
    p[0] < SOURCES.length &&
    typeof p[1] === 'number' &&
    typeof p[2] === 'string' &&
    (!status || SOURCES[p[0]].status === status);
  if (!ok) throw badCursor();
  return p as Position;
}

/**
 * Cursor pages over the queues' own structures (no index of our own). With several queues
 * (TASKS_QUEUE_SHARDS), each source is read from every queue and merged in (score, id) order, so
 * the order and the cursor are the same as with one queue.
 */
export class TaskPages {
  constructor(
    private readonly queues: { readonly all: Queue[] },
    private readonly redis: Redis,
  ) {}

  async page(q: PageQuery): Promise<Page> {
    const items: Task[] = [];
    let [si, score, id]: Position = q.cursor
      ? decodeCursor(q.cursor, q.status)
      : [0, -Infinity, ''];
    let scanned = 0;
    for (; si < SOURCES.length; si++, score = -Infinity, id = '') {
      const src = SOURCES[si];
      if (q.status && src.status !== q.status) continue;
      for (;;) {
        const batch = await this.merged(src, score, id, BATCH);
        const jobs = await Promise.all(
          batch.map((c) => c.queue.getJob(c.id) as Promise<Job | undefined>),
        );
        for (let i = 0; i < batch.length; i++) {
          ({ score, id } = batch[i]);
          scanned++;
          const job = jobs[i];
          if (
            job &&
            (!q.type || job.name === q.type) &&
            (!q.owner || ownerOf(job) === q.owner) &&
            (!q.allow || q.allow(job.name))
          )
            items.push(toTask(job, src.status));
          if (items.length >= q.limit || scanned >= MAX_SCAN)
            return { items, nextCursor: encodeCursor([si, score, id]) };
        }
        if (batch.length < BATCH) break;
      }
    }
    return { items, nextCursor: null };
  }

  /** Up to `count` members of one source, over every queue, strictly after (score, id), in order. */
  private async merged(src: (typeof SOURCES)[number], score: number, id: string, count: number) {
    const each = await Promise.all(
      this.queues.all.map(async (queue) =>
        (await this.after(queue, src, score, id, count)).map((c) => ({ ...c, queue })),
      ),
    );
    if (each.length === 1) return each[0];
    return each
      .flat()
      .sort((a, b) => a.score - b.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, count);
  }

  /** Up to `count` members of one source of one queue strictly after (score, id), in order. */
  private async after(
    queue: Queue,
    src: (typeof SOURCES)[number],
    score: number,
    id: string,
    count: number,
  ) {
    const key = queue.keys[src.key];
    if (src.kind === 'list') {
      const ids = [...new Set(await this.redis.lrange(key, 0, -1))].sort();
      return ids
        .filter((m) => score < 0 || m > id)
        .slice(0, count)
        .map((m) => ({ score: 0, id: m }));
    }
    const out: Array<{ score: number; id: string }> = [];
    const min = score === -Infinity ? '-inf' : String(score);
    for (let offset = 0; out.length < count;) {
      const raw = await this.redis.zrangebyscore(
        key,
        min,
        '+inf',
        'WITHSCORES',
        'LIMIT',
        offset,
        count,
      );
      for (let i = 0; i < raw.length; i += 2) {
        const s = Number(raw[i + 1]);
        if (s === score && raw[i] <= id) continue;
        if (out.length < count) out.push({ score: s, id: raw[i] });
      }
      if (raw.length / 2 < count) break;
      offset += raw.length / 2;
    }
    return out;
  }
}
