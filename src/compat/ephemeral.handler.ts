import { Injectable } from '@nestjs/common';
import { IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { parsePayload, TaskHandlerProvider, type TaskHandler } from '../tasks';

export const EPHEMERAL_TYPE = 'ephemeral.process';

export class EphemeralPayload {
  @IsString() @MaxLength(128) task_id!: string;
  @IsOptional() @IsObject() data?: Record<string, unknown>;
}

/** ephemeral-backend's tasks (compat `/tasks`): they complete with the seed's result shape. */
@Injectable()
@TaskHandlerProvider()
export class EphemeralHandler implements TaskHandler<EphemeralPayload> {
  readonly type = EPHEMERAL_TYPE;
  readonly description =
    '{ task_id, data? }: ephemeral-backend compat task, returns { processed_at, message }';

  parse(payload: unknown): EphemeralPayload {
    return parsePayload(EphemeralPayload, payload);
  }

  run(p: EphemeralPayload): Promise<unknown> {
    return Promise.resolve({
      processed_at: new Date().toISOString(),
      message: `Task ${p.task_id} processed successfully`,
    });
  }
}
