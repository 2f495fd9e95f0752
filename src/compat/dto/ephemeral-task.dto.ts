import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsObject, IsOptional, Matches } from 'class-validator';

export const COMPAT_TASK_ID = /^[A-Za-z0-9_.-]{1,100}$/;
export const COMPAT_TASK_ID_RULE = 'task_id must be 1-100 chars of [A-Za-z0-9_.-]';

export class EphemeralTaskBody {
  @ApiProperty({ example: 'task-123', pattern: COMPAT_TASK_ID.source })
  @Matches(COMPAT_TASK_ID, { message: COMPAT_TASK_ID_RULE })
  task_id!: string;

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    example: { message: 'Hello World' },
  })
  @IsOptional()
  @IsObject()
  data?: Record<string, unknown>;

  @ApiPropertyOptional({
    description: 'Now honoured: 1 = highest … 10 = lowest (values outside are clamped)',
    type: 'integer',
    example: 1,
  })
  @IsOptional()
  @IsInt()
  priority?: number;
}

export class EphemeralTaskIdParams {
  @ApiProperty({ example: 'task-123', pattern: COMPAT_TASK_ID.source })
  @Matches(COMPAT_TASK_ID, { message: COMPAT_TASK_ID_RULE })
  task_id!: string;
}

export class EphemeralTaskView {
  @ApiProperty() task_id!: string;
  @ApiProperty({ enum: ['pending', 'processing', 'completed', 'failed'] }) status!: string;
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: '{ processed_at, message } once completed',
  })
  result!: unknown;
}

export class EphemeralCreated {
  @ApiProperty() task_id!: string;
  @ApiProperty({ example: 'accepted' }) status!: string;
  @ApiProperty({ example: 'Task created successfully' }) message!: string;
  @ApiProperty({ nullable: true, type: Object, example: null }) result!: null;
}

export class EphemeralTaskList {
  @ApiProperty({ type: [EphemeralTaskView] }) tasks!: EphemeralTaskView[];
  @ApiProperty({ type: 'integer' }) count!: number;
}

export class EphemeralMessage {
  @ApiProperty() message!: string;
}

/** The seed's error body (FastAPI's HTTPException): kept for its clients on 404 and 409. */
export class EphemeralDetail {
  @ApiProperty({ example: 'Task not found' }) detail!: string;
}
