import { registerAs } from '@nestjs/config';
import { IsInt, Max, Min } from 'class-validator';
import { parseEnv } from './env.schema';

/** Live task status (`GET /v1/tasks/:id/events`, Server-Sent Events); docs/tasks.md documents each one. */
export class TaskEventsEnv {
  /** Event streams one key may hold open at once in one process; one more is 429 TASK_STREAMS_LIMIT. */
  @IsInt() @Min(1) @Max(10_000) TASKS_EVENTS_MAX_STREAMS_PER_KEY = 20;
  /** How often an idle stream gets a `: keep-alive` comment (under proxies' idle timeouts). */
  @IsInt() @Min(1000) @Max(300_000) TASKS_EVENTS_KEEPALIVE_MS = 15_000;
}

export const taskEventsConfig = registerAs('taskEvents', () => {
  const e = parseEnv(TaskEventsEnv);
  return {
    maxStreamsPerKey: e.TASKS_EVENTS_MAX_STREAMS_PER_KEY,
    keepAliveMs: e.TASKS_EVENTS_KEEPALIVE_MS,
  };
});
export type TaskEventsConfig = ReturnType<typeof taskEventsConfig>;
