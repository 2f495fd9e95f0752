import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { IsInt, IsOptional, IsString, MaxLength, Max, Min } from 'class-validator';
import {
  parsePayload,
  TaskHandlerProvider,
  type TaskContext,
  type TaskHandler,
} from './task-handler';

export class SleepPayload {
  @IsInt() @Min(0) @Max(600_000) ms!: number;
  /** The first N runs fail (after sleeping): exercises retries, backoff and the retry route. */
  @IsOptional() @IsInt() @Min(0) @Max(100) failRuns?: number;
  @IsOptional() @IsString() @MaxLength(500) error?: string;
}

const PROGRESS_EVERY_MS = 1000;

/** Waits `ms` (reporting progress each second), optionally failing its first `failRuns` runs. */
@Injectable()
@TaskHandlerProvider()
export class SleepHandler implements TaskHandler<SleepPayload> {
  readonly type = 'sleep';
  readonly description =
    '{ ms, failRuns?, error? }: waits ms milliseconds; the first failRuns runs fail';

  parse(payload: unknown): SleepPayload {
    return parsePayload(SleepPayload, payload);
  }

  async run(p: SleepPayload, ctx: TaskContext): Promise<unknown> {
    const started = Date.now();
    for (let left = p.ms; left > 0;) {
      await sleep(Math.min(left, PROGRESS_EVERY_MS));
      left = p.ms - (Date.now() - started);
      if (left > 0) await ctx.progress(Math.floor(((p.ms - left) / p.ms) * 100));
    }
    if (ctx.run <= (p.failRuns ?? 0))
      throw new Error(p.error ?? `sleep: failing run ${ctx.run} as asked`);
    return { sleptMs: Date.now() - started };
  }
}
