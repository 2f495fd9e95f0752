import { ApiProperty } from '@nestjs/swagger';
import { MAX_BATCH } from '../task.types';
import { CreateTaskDto } from './create-task.dto';
import { TaskDto } from './task.dto';

/** The batch body, for the OpenAPI document: TaskBatchPipe validates it (by hand on the hot path). */
export class CreateTaskBatchDto {
  @ApiProperty({
    type: [CreateTaskDto],
    minItems: 1,
    maxItems: MAX_BATCH,
    description: `1 to ${MAX_BATCH} tasks, each exactly like the body of POST /v1/tasks. Client ids must be unique within the batch.`,
  })
  tasks!: CreateTaskDto[];
}

export class TaskBatchItemDto {
  @ApiProperty({
    description:
      'false when a task with this client id and the same body already existed (idempotent replay)',
  })
  created!: boolean;

  @ApiProperty({ type: TaskDto })
  task!: TaskDto;
}

export class TaskBatchDto {
  @ApiProperty({
    type: [TaskBatchItemDto],
    description: 'One item per submitted task, in request order',
  })
  items!: TaskBatchItemDto[];
}
