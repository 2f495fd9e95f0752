import { ApiProperty } from '@nestjs/swagger';
import { ANY_JSON } from '../../common/openapi/any-json';
import { TASK_STATUSES, type Task, type TaskStatus } from '../task.types';

export class TaskDto implements Task {
  @ApiProperty({ example: '3f1c9a4e-8d2b-4c1f-9e57-2b7f0c6d1a90' }) id!: string;
  @ApiProperty({ example: 'echo' }) type!: string;
  @ApiProperty({
    ...ANY_JSON,
    description: 'The payload as submitted (after validation); null when none was given',
  })
  payload!: unknown;
  @ApiProperty({
    type: 'integer',
    description: '1 = highest, 10 = lowest',
    minimum: 1,
    maximum: 10,
  })
  priority!: number;
  @ApiProperty({ enum: TASK_STATUSES }) status!: TaskStatus;
  @ApiProperty({
    type: 'integer',
    minimum: 0,
    description: 'Runs finished (succeeded or failed) in the current round',
  })
  attempts!: number;
  @ApiProperty({ type: 'integer', minimum: 1 }) maxAttempts!: number;
  @ApiProperty({
    ...ANY_JSON,
    description:
      'Handler-reported progress: 0 until the handler reports, then a number or any JSON',
    example: 0,
  })
  progress!: unknown;
  @ApiProperty({
    ...ANY_JSON,
    description: "The handler's return value once completed (any JSON), else null",
  })
  result!: unknown;
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'The last error (kept after the final failure)',
  })
  error!: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt!: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) startedAt!: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({
    nullable: true,
    type: String,
    example: 'ci',
    description:
      'Id of the API key that created the task; a key sees only its own tasks unless it holds admin',
  })
  owner!: string | null;
}

export class TaskPageDto {
  @ApiProperty({ type: [TaskDto] }) items!: TaskDto[];
  @ApiProperty({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null at the end',
  })
  nextCursor!: string | null;
}

export class TaskTypesDto {
  @ApiProperty({ type: [String], example: ['counter.increment', 'echo', 'sleep'] })
  types!: string[];
}
