import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ANY_JSON } from '../../common/openapi/any-json';
import { Allow, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  DEFAULT_PRIORITY,
  MAX_ATTEMPTS_LIMIT,
  MAX_DELAY_MS,
  MAX_PRIORITY,
  MIN_PRIORITY,
  TASK_ID_PATTERN,
  TASK_ID_RULE,
} from '../task.types';

export class CreateTaskDto {
  @ApiProperty({
    description:
      'Task type (a registered handler, see GET /v1/tasks/types): echo, sleep, counter.increment, ...',
    example: 'echo',
    maxLength: 64,
  })
  @IsString()
  @MaxLength(64)
  type!: string;

  @ApiPropertyOptional({
    ...ANY_JSON,
    description: "The handler's input, validated by the handler at submission (bad payload → 400).",
    example: { hello: 'world' },
  })
  @Allow()
  payload?: unknown;

  @ApiPropertyOptional({
    description:
      'Client id: makes submission idempotent (same id + same body → 200 with the existing task; different body → 409). Generated (UUID) when absent.',
    example: 'report-2026-11-22',
    pattern: TASK_ID_PATTERN.source,
  })
  @IsOptional()
  @Matches(TASK_ID_PATTERN, { message: TASK_ID_RULE })
  id?: string;

  @ApiPropertyOptional({
    description: `Priority: ${MIN_PRIORITY} runs first (highest), ${MAX_PRIORITY} last (lowest). Default ${DEFAULT_PRIORITY}.`,
    type: 'integer',
    minimum: MIN_PRIORITY,
    maximum: MAX_PRIORITY,
    default: DEFAULT_PRIORITY,
  })
  @IsOptional()
  @IsInt()
  @Min(MIN_PRIORITY)
  @Max(MAX_PRIORITY)
  priority?: number;

  @ApiPropertyOptional({
    description: 'Run no earlier than this many milliseconds from now.',
    type: 'integer',
    minimum: 0,
    maximum: MAX_DELAY_MS,
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_DELAY_MS)
  delayMs?: number;

  @ApiPropertyOptional({
    description:
      'Runs before the task is failed (retries back off exponentially). Default TASKS_MAX_ATTEMPTS.',
    type: 'integer',
    minimum: 1,
    maximum: MAX_ATTEMPTS_LIMIT,
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ATTEMPTS_LIMIT)
  maxAttempts?: number;
}
