import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { TASK_ID_PATTERN, TASK_ID_RULE } from '../task.types';

export class TaskIdParams {
  @ApiProperty({
    description: 'Task id',
    pattern: TASK_ID_PATTERN.source,
    example: 'report-2026-11-22',
  })
  @Matches(TASK_ID_PATTERN, { message: TASK_ID_RULE })
  id!: string;
}
