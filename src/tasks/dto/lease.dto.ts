import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import {
  Allow,
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsBoolean,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { Type } from 'class-transformer';
import { LEASE_DEFAULTS, LEASE_TOKEN_PATTERN } from '../external/task-leases.service';
import { TASK_ID_PATTERN, TASK_ID_RULE } from '../task.types';
import { TaskDto } from './task.dto';

export const TYPE_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,63}$/;
const TOKEN_RULE = 'leaseToken must be a token answered by POST /v1/tasks/lease';

export class LeaseTasksDto {
  @ApiProperty({
    description:
      'External task types to take from (TASKS_EXTERNAL_TYPES), in the order to try them',
    type: [String],
    minItems: 1,
    maxItems: 20,
    example: ['reports.pdf'],
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(20)
  @Matches(TYPE_PATTERN, { each: true, message: 'each type must be 1-64 chars of [A-Za-z0-9_.-]' })
  types!: string[];

  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: LEASE_DEFAULTS.max })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100)
  max?: number;

  @ApiPropertyOptional({
    description:
      'Long-poll: wait up to this long for a task when none is queued (0: answer at once)',
    minimum: 0,
    maximum: 20,
    default: LEASE_DEFAULTS.waitSeconds,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(20)
  waitSeconds?: number;

  @ApiPropertyOptional({
    description:
      'How long the lease holds without a heartbeat; then the task goes back to the queue',
    minimum: 5,
    maximum: 3600,
    default: LEASE_DEFAULTS.leaseSeconds,
  })
  @IsOptional()
  @IsInt()
  @Min(5)
  @Max(3600)
  leaseSeconds?: number;
}

export class LeasedTaskDto {
  @ApiProperty({ type: TaskDto }) task!: TaskDto;
  @ApiProperty({
    description: 'Pass to heartbeat, complete and fail',
    pattern: LEASE_TOKEN_PATTERN.source,
  })
  leaseToken!: string;
  @ApiProperty({ format: 'date-time' }) leaseExpiresAt!: string;
}

export class LeaseDto {
  @ApiProperty({
    type: [LeasedTaskDto],
    description: 'Empty when the wait ended with nothing to do',
  })
  items!: LeasedTaskDto[];
}

export class LeaseTokenDto {
  @ApiProperty({ pattern: LEASE_TOKEN_PATTERN.source })
  @IsString()
  @Matches(LEASE_TOKEN_PATTERN, { message: TOKEN_RULE })
  leaseToken!: string;
}

export class HeartbeatDto extends LeaseTokenDto {
  @ApiPropertyOptional({ minimum: 0, maximum: 100 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(100)
  progress?: number;

  @ApiPropertyOptional({ maxLength: 1000, description: "Added to the task's log" })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  message?: string;
}

export class HeartbeatResultDto {
  @ApiProperty({ format: 'date-time' }) leaseExpiresAt!: string;
}

export class CompleteTaskDto extends LeaseTokenDto {
  @ApiPropertyOptional({ type: Object, description: "The task's result (any JSON)" })
  @Allow()
  result?: unknown;
}

export class FailTaskDto extends LeaseTokenDto {
  @ApiProperty({ minLength: 1, maxLength: 2000 })
  @IsString()
  @MinLength(1)
  @MaxLength(2000)
  error!: string;

  @ApiPropertyOptional({
    default: true,
    description: 'true: retried while attempts remain (with backoff); false: failed now',
  })
  @IsOptional()
  @IsBoolean()
  retryable?: boolean;
}

/** Items per `POST /v1/tasks/complete` (as MAX_BATCH for submission). */
export const MAX_COMPLETE_BATCH = 100;

export class CompleteItemDto extends LeaseTokenDto {
  @ApiProperty({ description: 'Task id', pattern: TASK_ID_PATTERN.source })
  @IsString()
  @Matches(TASK_ID_PATTERN, { message: TASK_ID_RULE })
  id!: string;

  @ApiPropertyOptional({ type: Object, description: "The task's result (any JSON)" })
  @Allow()
  result?: unknown;
}

export class CompleteBatchDto {
  @ApiProperty({
    type: [CompleteItemDto],
    minItems: 1,
    maxItems: MAX_COMPLETE_BATCH,
    description: 'Leased tasks to complete, each with its own lease token; an id at most once',
  })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_COMPLETE_BATCH)
  @ValidateNested({ each: true })
  @Type(() => CompleteItemDto)
  items!: CompleteItemDto[];
}

export class ItemErrorDto {
  @ApiProperty({
    enum: ['TASK_LEASE_LOST', 'NOT_FOUND'],
    description:
      'TASK_LEASE_LOST: wrong or expired lease token, nothing changed for this task; NOT_FOUND: no external task with this id',
  })
  code!: 'TASK_LEASE_LOST' | 'NOT_FOUND';
  @ApiProperty() message!: string;
}

export class CompletedItemDto {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['completed'] }) status!: 'completed';
}

export class FailedItemDto {
  @ApiProperty() id!: string;
  @ApiProperty({ type: ItemErrorDto }) error!: ItemErrorDto;
}

export class CompleteBatchResultDto {
  @ApiProperty({
    type: 'array',
    items: {
      oneOf: [{ $ref: getSchemaPath(CompletedItemDto) }, { $ref: getSchemaPath(FailedItemDto) }],
    },
    description: 'One per request item, in request order',
  })
  items!: Array<CompletedItemDto | FailedItemDto>;
}
