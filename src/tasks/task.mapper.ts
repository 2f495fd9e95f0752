import type { Job } from 'bullmq';
import {
  DEFAULT_PRIORITY,
  type OwnedJobOptions,
  type Task,
  type TaskCaller,
  type TaskStatus,
} from './task.types';
import { typeAllowed } from './task-access';

/**
 * A timestamp as ISO 8601. The last one is kept: a batch's tasks are created within the same
 * millisecond or a few, and formatting a Date was 2 % of the batch route's CPU.
 */
let lastMs = 0;
let lastIso = '';
const iso = (ms: number | undefined): string | null => {
  if (!ms) return null;
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
};

export const ownerOf = (job: Job): string | undefined => (job.opts as OwnedJobOptions).owner;

/** The caller may see this job: no caller (internal), `admin` or its owner, and a type of its key. */
export const visibleTo = (job: Job, who: TaskCaller | undefined): boolean =>
  !who || ((who.admin || ownerOf(job) === who.id) && typeAllowed(who, job.name));

/** The BullMQ job is the record: a task is a view of it. */
export function toTask(job: Job, status: TaskStatus): Task {
  return {
    id: job.id as string,
    type: job.name,
    payload: job.data ?? null,
    priority: job.opts.priority || DEFAULT_PRIORITY,
    status,
    attempts: job.attemptsMade,
    maxAttempts: job.opts.attempts ?? 1,
    progress: job.progress ?? 0,
    result: job.returnvalue ?? null,
    error: job.failedReason || null,
    createdAt: iso(job.timestamp) as string,
    startedAt: iso(job.processedOn),
    finishedAt: iso(job.finishedOn),
    owner: (job.opts as OwnedJobOptions).owner ?? null,
  };
}
