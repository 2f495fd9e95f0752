import type { TaskTypeRule } from '../config';

/** Token name of the tasks queue (the BullMQ queue's own name comes from TASKS_QUEUE_NAME). */
export const TASKS_QUEUE = 'tasks';

export const TASK_STATUSES = ['queued', 'delayed', 'active', 'completed', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

/** Our priorities: 1 runs first, 10 last. BullMQ's are the same direction (1 = highest), so 1:1. */
export const MIN_PRIORITY = 1;
export const MAX_PRIORITY = 10;
export const DEFAULT_PRIORITY = 5;
export const MAX_DELAY_MS = 30 * 24 * 3600 * 1000;
export const MAX_ATTEMPTS_LIMIT = 100;

/** Tasks one `POST /v1/tasks/batch` may submit. */
export const MAX_BATCH = 100;

/** BullMQ rejects all-digit custom ids and `:`; UUIDs and slugs pass. */
export const TASK_ID_PATTERN = /^(?!\d+$)[A-Za-z0-9_.-]{1,128}$/;
export const TASK_ID_RULE = 'id must be 1-128 chars of [A-Za-z0-9_.-] and not all digits';

export interface Task {
  id: string;
  type: string;
  payload: unknown;
  priority: number;
  status: TaskStatus;
  attempts: number;
  maxAttempts: number;
  progress: unknown;
  result: unknown;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Id of the API key that created the task (null: created before owners were recorded). */
  owner: string | null;
}

/**
 * Who asks: a key sees and changes only its own tasks unless it holds `admin`, and with
 * `taskTypes` only tasks of those types (admin or not).
 */
export interface TaskCaller {
  id: string;
  admin: boolean;
  taskTypes?: TaskTypeRule;
}

/** The owner is kept in the BullMQ job's options (stored as JSON with the job, kept on retry). */
export type OwnedJobOptions = { owner?: string };

/** BullMQ states onto task statuses (waiting, paused and prioritized jobs are all "queued"). */
export function statusOf(state: string): TaskStatus | undefined {
  switch (state) {
    case 'waiting':
    case 'wait':
    case 'paused':
    case 'prioritized':
    case 'waiting-children':
      return 'queued';
    case 'delayed':
    case 'active':
    case 'completed':
    case 'failed':
      return state;
    default:
      return undefined;
  }
}
