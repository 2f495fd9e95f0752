import type { Job } from 'bullmq';
import { DEFAULT_PRIORITY, type Task, type TaskStatus } from './task.types';

const iso = (ms: number | undefined): string | null => (ms ? new Date(ms).toISOString() : null);

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
  };
}
