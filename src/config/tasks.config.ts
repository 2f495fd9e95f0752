import { registerAs } from '@nestjs/config';
import { Transform } from 'class-transformer';
import { IsBoolean, IsInt, Matches, Max, Min } from 'class-validator';
import { parseEnv, toBool } from './env.schema';

/** One external type name (`reports.pdf`) or a pattern (`billing.*`): the same characters as task ids. */
const EXTERNAL_ITEM =
  '[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}|(?:[A-Za-z0-9_-][A-Za-z0-9_.-]{0,60}\\.)?\\*';
const EXTERNAL_TYPES_RULE = new RegExp(
  `^\\s*(?:(?:${EXTERNAL_ITEM})\\s*(?:,\\s*(?:${EXTERNAL_ITEM})\\s*)*)?$`,
);

/** Tasks (BullMQ) settings; every number has a default. docs/tasks.md documents each one. */
export class TasksEnv {
  @Matches(/^[A-Za-z0-9_-]{1,64}$/, { message: 'must be 1-64 chars of [A-Za-z0-9_-]' })
  TASKS_QUEUE_NAME = 'tasks';
  /**
   * Queues the built-in task types are spread over (by type); each has its own hash tag in
   * cluster mode, so they spread over shards. 1: the single TASKS_QUEUE_NAME queue of before.
   */
  @IsInt() @Min(1) @Max(16) TASKS_QUEUE_SHARDS = 1;
  @IsInt() @Min(1) @Max(1000) TASKS_CONCURRENCY = 10;
  @IsInt() @Min(1) @Max(100) TASKS_MAX_ATTEMPTS = 3;
  @IsInt() @Min(0) @Max(3_600_000) TASKS_BACKOFF_MS = 1000;
  @IsInt() @Min(1) @Max(31_536_000) TASKS_RETENTION_AGE_S = 86_400;
  @IsInt() @Min(1) @Max(10_000_000) TASKS_RETENTION_COUNT = 10_000;
  @IsInt() @Min(1000) @Max(600_000) TASKS_LOCK_DURATION_MS = 30_000;
  @IsInt() @Min(200) @Max(600_000) TASKS_STALLED_INTERVAL_MS = 30_000;
  @Transform(toBool) @IsBoolean() QUEUE_UI_ENABLED = true;
  /**
   * Task types that workers outside this service lease over HTTP: a comma-separated list of names
   * (`reports.pdf`) or `prefix.*` patterns (`billing.*`). Empty: built-in types only.
   */
  @Matches(EXTERNAL_TYPES_RULE, {
    message: 'must be a comma-separated list of type names or prefix.* patterns',
  })
  TASKS_EXTERNAL_TYPES = '';
}

export const tasksConfig = registerAs('tasks', () => {
  const e = parseEnv(TasksEnv);
  return {
    queueName: e.TASKS_QUEUE_NAME,
    queueShards: e.TASKS_QUEUE_SHARDS,
    concurrency: e.TASKS_CONCURRENCY,
    maxAttempts: e.TASKS_MAX_ATTEMPTS,
    backoffMs: e.TASKS_BACKOFF_MS,
    retention: { age: e.TASKS_RETENTION_AGE_S, count: e.TASKS_RETENTION_COUNT },
    lockDurationMs: e.TASKS_LOCK_DURATION_MS,
    stalledIntervalMs: e.TASKS_STALLED_INTERVAL_MS,
    queueUiEnabled: e.QUEUE_UI_ENABLED,
    externalTypes: e.TASKS_EXTERNAL_TYPES.split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  };
});
export type TasksConfig = ReturnType<typeof tasksConfig>;
