import { Injectable } from '@nestjs/common';
import { TaskHandlerProvider, type TaskHandler } from './task-handler';

/** Returns its payload (any JSON value): the no-op task of tests and benchmarks. */
@Injectable()
@TaskHandlerProvider()
export class EchoHandler implements TaskHandler {
  readonly type = 'echo';
  readonly description = 'returns its payload (any JSON value)';

  parse(payload: unknown): unknown {
    return payload ?? null;
  }

  run(payload: unknown): Promise<unknown> {
    return Promise.resolve(payload);
  }
}
