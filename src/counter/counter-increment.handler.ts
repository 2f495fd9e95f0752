import { Injectable } from '@nestjs/common';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { parsePayload, TaskHandlerProvider, type TaskContext, type TaskHandler } from '../tasks';
import { IDEMPOTENCY_KEY_PATTERN, MAX_BY, NAME_PATTERN, NAME_RULE } from './counter.rules';
import { CounterService } from './counter.service';

/** The counter's own rules, so a bad payload is a 400 at submission. */
export class CounterIncrementPayload {
  @Matches(NAME_PATTERN, { message: NAME_RULE })
  name!: string;
  @IsOptional() @IsInt() @Min(-MAX_BY) @Max(MAX_BY) by?: number;
  @IsOptional()
  @Matches(IDEMPOTENCY_KEY_PATTERN, {
    message: 'idempotencyKey must be 1-128 visible ASCII characters',
  })
  idempotencyKey?: string;
}

/**
 * Increments a counter: the counter feature's task handler, contributed by CounterCoreModule
 * (the pattern for a feature's task handler). Without an idempotencyKey the task id is used, so a run repeated
 * after a crash (stalled-job recovery) or a retry never applies the increment twice.
 */
@Injectable()
@TaskHandlerProvider()
export class CounterIncrementHandler implements TaskHandler<CounterIncrementPayload> {
  readonly type = 'counter.increment';
  readonly description = '{ name, by?, idempotencyKey? }: adds by (default 1) to a counter, once';

  constructor(private readonly counters: CounterService) {}

  parse(payload: unknown): CounterIncrementPayload {
    return parsePayload(CounterIncrementPayload, payload);
  }

  run(p: CounterIncrementPayload, ctx: TaskContext): Promise<unknown> {
    return this.counters.increment(
      p.name,
      p.by ?? 1,
      p.idempotencyKey ?? `task:${ctx.id}`.slice(0, 128),
    );
  }
}
